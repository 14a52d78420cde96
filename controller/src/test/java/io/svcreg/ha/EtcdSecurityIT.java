package io.svcreg.ha;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.Auth;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.auth.Permission;
import io.svcreg.Waits;
import io.svcreg.client.ClientConfig;
import io.svcreg.client.SvcregClient;
import io.svcreg.crash.ServeProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve --etcd https://...} against a real etcd that wants TLS with client certificates
 * ({@code --client-cert-auth}) and has authentication on: certificates made with {@code openssl} (a
 * CA, etcd's server certificate for 127.0.0.1, a client certificate), a user whose role may read
 * and write {@code /svcreg}. A member with the right options leads and writes through etcd; one
 * with a wrong password refuses to start, saying what to check.
 */
class EtcdSecurityIT {

  private static final String PASSWORD = "s3cret-for-tests";

  @TempDir Path tmp;
  private Path pki;
  private Process etcd;
  private String endpoint;
  private ServeProcess member;

  @BeforeEach
  void setUp() throws Exception {
    pki = Files.createDirectories(tmp.resolve("pki"));
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ca.key");
    openssl(
        "req",
        "-x509",
        "-new",
        "-key",
        "ca.key",
        "-subj",
        "/CN=test etcd CA",
        "-days",
        "2",
        "-out",
        "ca.crt");
    certificate("server", "/CN=etcd", "serverAuth", "subjectAltName=IP:127.0.0.1");
    certificate("client", "/CN=svcreg", "clientAuth", null);
    int client = freePort();
    int peer = freePort();
    endpoint = "https://127.0.0.1:" + client;
    etcd =
        new ProcessBuilder(
                EtcdCluster.ETCD.toString(),
                "--name",
                "secure",
                "--data-dir",
                tmp.resolve("etcd").toString(),
                "--listen-client-urls",
                endpoint,
                "--advertise-client-urls",
                endpoint,
                "--listen-peer-urls",
                "http://127.0.0.1:" + peer,
                "--initial-advertise-peer-urls",
                "http://127.0.0.1:" + peer,
                "--initial-cluster",
                "secure=http://127.0.0.1:" + peer,
                "--cert-file",
                pki.resolve("server.crt").toString(),
                "--key-file",
                pki.resolve("server.key").toString(),
                "--trusted-ca-file",
                pki.resolve("ca.crt").toString(),
                "--client-cert-auth",
                "--listen-metrics-urls",
                "")
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("etcd.log").toFile())
            .start();
    try (Client c = tlsOptions().connect()) {
      Waits.atMost(Duration.ofSeconds(30))
          .alias("etcd answers over TLS")
          .ignoreExceptions()
          .until(
              () -> {
                c.getKVClient().get(bytes("/probe")).get(2, TimeUnit.SECONDS);
                return true;
              });
      Auth auth = c.getAuthClient();
      auth.userAdd(bytes("root"), bytes(PASSWORD)).get(10, TimeUnit.SECONDS);
      auth.userGrantRole(bytes("root"), bytes("root")).get(10, TimeUnit.SECONDS);
      auth.roleAdd(bytes("svcreg")).get(10, TimeUnit.SECONDS);
      auth.roleGrantPermission(
              bytes("svcreg"), bytes("/svcreg"), bytes("/svcreh"), Permission.Type.READWRITE)
          .get(10, TimeUnit.SECONDS);
      auth.userAdd(bytes("svcreg"), bytes(PASSWORD)).get(10, TimeUnit.SECONDS);
      auth.userGrantRole(bytes("svcreg"), bytes("svcreg")).get(10, TimeUnit.SECONDS);
      auth.authEnable().get(10, TimeUnit.SECONDS);
    }
    Files.writeString(tmp.resolve("password"), PASSWORD + "\n");
    Files.writeString(tmp.resolve("wrong-password"), "not-it\n");
    Files.createDirectories(tmp.resolve("specs"));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (member != null) {
      member.close();
    }
    if (etcd != null) {
      etcd.destroyForcibly();
      etcd.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void memberWithTlsAndAuthentication_leadsAndWritesThroughEtcd() throws Exception {
    Path data = tmp.resolve("a");
    member = ServeProcess.start(tmp.resolve("logs"), serve(data, "password"));
    Waits.atMost(Duration.ofSeconds(60))
        .alias("the member serves its API")
        .failFast(() -> !member.alive())
        .until(() -> Files.exists(data.resolve("api.url")));
    URI url = URI.create(Files.readString(data.resolve("api.url")).strip());
    try (SvcregClient c =
        SvcregClient.connect(
            ClientConfig.of(
                url,
                ClientConfig.trusting(data.resolve("tls/ca.crt")),
                "the test CA",
                Files.readString(data.resolve("tokens/admin.token")).strip()))) {
      Waits.atMost(Duration.ofSeconds(60))
          .alias("the member leads")
          .until(
              () -> c.call("server_info", Map.of()).path("cluster").path("role").asText(),
              "leader"::equals);
      c.publish(
          "billing",
          Optional.empty(),
          List.of(new SvcregClient.PublishedApi("http", "127.0.0.1", 8080, "http")),
          Optional.empty());
    }
    try (Client root = tlsOptions().withUser("root", tmp.resolve("password")).connect()) {
      assertThat(
              root.getKVClient()
                  .get(bytes("/svcreg/state/registry/billing"))
                  .get(10, TimeUnit.SECONDS)
                  .getKvs())
          .as("the publish, in etcd")
          .hasSize(1);
    }
  }

  @Test
  void memberWithAWrongPassword_refusesToStartSayingWhatToCheck() {
    ServeProcess.Result r =
        ServeProcess.run(
            tmp.resolve("logs"),
            Duration.ofSeconds(60),
            serve(tmp.resolve("b"), "wrong-password").toArray(String[]::new));
    assertThat(r.exitCode()).as(r.stderr()).isEqualTo(2);
    assertThat(r.stderr())
        .contains("svcreg serve: etcd: cannot read the replicated log")
        .contains("--etcd-user and --etcd-password-file");
  }

  private List<String> serve(Path data, String passwordFile) {
    return List.of(
        "serve",
        "--specs",
        tmp.resolve("specs").toString(),
        "--data",
        data.toString(),
        "--listen",
        "127.0.0.1:0",
        "--etcd",
        endpoint,
        "--etcd-ca",
        pki.resolve("ca.crt").toString(),
        "--etcd-cert",
        pki.resolve("client.crt").toString(),
        "--etcd-key",
        pki.resolve("client.key").toString(),
        "--etcd-user",
        "svcreg",
        "--etcd-password-file",
        tmp.resolve(passwordFile).toString(),
        "--leader-ttl",
        "3s");
  }

  private EtcdOptions tlsOptions() {
    return EtcdOptions.of(endpoint)
        .withTls(
            Optional.of(pki.resolve("ca.crt")),
            Optional.of(pki.resolve("client.crt")),
            Optional.of(pki.resolve("client.key")));
  }

  /** A key (PKCS#8) and a certificate signed by the CA, for {@code usage}. */
  private void certificate(String name, String subject, String usage, String san) throws Exception {
    openssl(
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        name + ".key");
    openssl("req", "-new", "-key", name + ".key", "-subj", subject, "-out", name + ".csr");
    Files.writeString(
        pki.resolve(name + ".ext"),
        "extendedKeyUsage=" + usage + "\n" + (san == null ? "" : san + "\n"));
    openssl(
        "x509",
        "-req",
        "-in",
        name + ".csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        name + ".ext",
        "-out",
        name + ".crt");
  }

  private void openssl(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(pki.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), UTF_8);
    assertThat(p.waitFor()).as("openssl " + String.join(" ", args) + ": " + out).isZero();
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, UTF_8);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", 0));
      return s.getLocalPort();
    }
  }
}

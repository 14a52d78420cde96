package io.svcreg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControllerCommandsTest {

  @TempDir Path tmp;

  /** Service {@code cache}, with this package on this network. */
  private static String cache(String pkg, String network) {
    return """
        apiVersion: svcreg.io/v1
        kind: Service
        metadata: {name: cache}
        spec:
          version: "1.0.0"
          package: %s
          network: %s
        """
        .formatted(pkg, network);
  }

  @Test
  void apply_validFile_writesItAndExits0() throws IOException {
    SpecDir dir = SpecDir.write(tmp);
    Path incoming = tmp.resolve("cache.yaml");
    Files.writeString(incoming, cache("../packages/cache", "local"));

    CliRun run = CliRun.of("apply", "-f", incoming.toString(), "--specs", dir.specs().toString());

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(Cli.OK);
    assertThat(run.out()).contains("Service/cache created");
    assertThat(dir.specs().resolve("cache.yaml")).exists();
  }

  @Test
  void apply_invalidFile_writesNothingAndExits2() throws IOException {
    SpecDir dir = SpecDir.write(tmp);
    Path incoming = tmp.resolve("cache.yaml");
    Files.writeString(incoming, cache("../packages/cache", "nowhere"));

    CliRun run = CliRun.of("apply", "-f", incoming.toString(), "--specs", dir.specs().toString());

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.err()).contains("cache.yaml:7:").contains("nowhere").contains("nothing written");
    assertThat(dir.specs().resolve("cache.yaml")).doesNotExist();
  }

  @Test
  void apply_examplesDirectory_specsAndTheirPackagesWrittenAndExits0() throws IOException {
    Path examples = Path.of(System.getProperty("svcreg.project.root", "..")).resolve("examples");
    Path target = Files.createDirectories(tmp.resolve("x"));

    CliRun run = CliRun.of("apply", "-f", examples.toString(), "--specs", target.toString());

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(Cli.OK);
    assertThat(run.out())
        .contains("Service/web created (" + target.resolve("services.yaml") + ")")
        .contains("package " + target.resolve("packages/web") + " written");
    assertThat(target.resolve("packages/web/scripts/start.sh")).isExecutable();
    assertThat(CliRun.of("validate", target.toString()).out())
        .isEqualTo("1 file, 4 resources: valid\n");
  }

  @Test
  void apply_packageOutsideTheSpecDirectory_oneLocatedLineAndExits2() throws IOException {
    SpecDir dir = SpecDir.write(tmp);
    Path incoming = Files.createDirectories(tmp.resolve("in/deep")).resolve("cache.yaml");
    Files.writeString(incoming, cache("../../packages/cache", "local"));

    CliRun run = CliRun.of("apply", "-f", incoming.toString(), "--specs", dir.specs().toString());

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines())
        .hasSize(2)
        .first()
        .asString()
        .startsWith(incoming + ":6:12: spec.package: cannot bring package `../../packages/cache`")
        .contains("outside the spec directory " + dir.specs());
    assertThat(dir.specs().resolve("cache.yaml")).doesNotExist();
  }

  @Test
  void status_noControllerState_saysWhereItLookedAndExits2() {
    CliRun run = CliRun.of("status", "--data", tmp.resolve("nothing").toString());

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines()).hasSize(1);
    assertThat(run.err()).startsWith("svcreg status: no controller state in");
  }

  @Test
  void plan_stateAndData_areAlternatives() {
    SpecDir dir = SpecDir.write(tmp);

    CliRun run =
        CliRun.of("plan", "--specs", dir.specs().toString(), "--state", "x.json", "--data", "d");

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines())
        .containsExactly("svcreg plan: --state and --data are alternatives; give one");
  }

  @Test
  void serve_badLogFormat_isOneLineError() {
    SpecDir dir = SpecDir.write(tmp);

    CliRun run = CliRun.of("serve", "--specs", dir.specs().toString(), "--log-format", "xml");

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines())
        .containsExactly("svcreg serve: --log-format xml: expected text or json");
  }

  @Test
  void serve_badLimits_isOneLineErrorEach() {
    SpecDir dir = SpecDir.write(tmp);

    CliRun rate =
        CliRun.of("serve", "--specs", dir.specs().toString(), "--requests-per-second", "-1");
    CliRun connections =
        CliRun.of("serve", "--specs", dir.specs().toString(), "--max-connections", "0");

    assertThat(rate.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(rate.errLines())
        .containsExactly("svcreg serve: --requests-per-second -1: expected 0 (no limit) or more");
    assertThat(connections.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(connections.errLines())
        .containsExactly("svcreg serve: --max-connections 0: expected 1 or more");
  }

  @Test
  void serve_listenPortTaken_isOneLineErrorBeforeAnythingStarts() throws Exception {
    SpecDir dir = SpecDir.write(tmp);
    try (java.net.ServerSocket taken =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      CliRun run =
          CliRun.of(
              "serve",
              "--specs",
              dir.specs().toString(),
              "--data",
              tmp.resolve("data").toString(),
              "--listen",
              "127.0.0.1:" + taken.getLocalPort());

      assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
      assertThat(run.errLines())
          .containsExactly(
              "svcreg serve: cannot listen on 127.0.0.1:"
                  + taken.getLocalPort()
                  + ": the port is in use or the address is not on this host; choose another"
                  + " with --listen HOST:PORT");
      assertThat(tmp.resolve("data")).doesNotExist();
    }
  }

  @Test
  void serve_badListenOrHalfTls_isOneLineError() {
    SpecDir dir = SpecDir.write(tmp);

    CliRun listen = CliRun.of("serve", "--specs", dir.specs().toString(), "--listen", "9443");
    CliRun tls = CliRun.of("serve", "--specs", dir.specs().toString(), "--tls-cert", "c.pem");

    assertThat(listen.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(listen.errLines()).hasSize(1);
    assertThat(listen.err()).contains("--listen 9443: expected HOST:PORT");
    assertThat(tls.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(tls.errLines())
        .containsExactly(
            "svcreg serve: --tls-cert and --tls-key go together; give both or neither");
  }

  @Test
  void serve_badRegistryProfileOrUnixSocket_isOneLineErrorBeforeAnythingStarts() {
    SpecDir dir = SpecDir.write(tmp);
    List<String> serve =
        List.of(
            "serve", "--specs", dir.specs().toString(), "--data", tmp.resolve("data").toString());

    CliRun profile = serveWith(serve, "--registry-profile", "x");
    CliRun mode =
        serveWith(
            serve, "--unix-socket", tmp.resolve("r.sock").toString(), "--unix-socket-mode", "0666");
    CliRun noDir = serveWith(serve, "--unix-socket", tmp.resolve("missing/r.sock").toString());

    assertThat(profile.errLines())
        .containsExactly("svcreg serve: --registry-profile x: expected svcreg or hsu");
    assertThat(mode.errLines()).hasSize(1);
    assertThat(mode.err()).contains("--unix-socket-mode 0666: a socket writable by every user");
    assertThat(noDir.errLines())
        .containsExactly(
            "svcreg serve: --unix-socket "
                + tmp.resolve("missing/r.sock").toAbsolutePath()
                + ": the directory "
                + tmp.resolve("missing").toAbsolutePath()
                + " does not exist; create it");
    assertThat(List.of(profile.exitCode(), mode.exitCode(), noDir.exitCode()))
        .containsOnly(Cli.ERROR);
    assertThat(tmp.resolve("data")).doesNotExist();
  }

  private static CliRun serveWith(List<String> serve, String... more) {
    List<String> all = new java.util.ArrayList<>(serve);
    all.addAll(List.of(more));
    return CliRun.of(all.toArray(String[]::new));
  }

  @Test
  void serve_missingSpecDir_isOneLineError() {
    CliRun run =
        CliRun.of(
            "serve",
            "--specs",
            tmp.resolve("missing").toString(),
            "--data",
            tmp.resolve("data").toString());

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines()).hasSize(1);
    assertThat(run.err()).contains("spec directory").contains("does not exist");
  }
}

package io.svcreg.ha;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.Waits;
import io.svcreg.client.ApiException;
import io.svcreg.client.ClientConfig;
import io.svcreg.client.SvcregClient;
import io.svcreg.crash.ServeProcess;
import io.svcreg.crash.ServiceProcesses;
import io.svcreg.deploy.ssh.OpenSshd;
import io.svcreg.deploy.ssh.SshDeployer;
import io.svcreg.schema.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Controllers as a high-availability group ({@code serve --etcd}), each its own JVM with its own
 * data directory, sharing a three-member etcd cluster on loopback and one spec directory; their
 * services run on a {@code lan} node that is a real {@code sshd} on 127.0.0.2. Failover, fencing of
 * a paused leader and the loss of etcd's raft leader are checked against the processes on the node,
 * the addresses and the install root.
 */
class ControllerGroupIT {

  private static final String USER = System.getProperty("user.name");
  private static final Duration LONG = Duration.ofSeconds(120);

  @TempDir Path tmp;
  private EtcdCluster etcd;
  private OpenSshd node;
  private Path specs;
  private Path packages;
  private Path installRoot;
  private final List<Member> members = new ArrayList<>();
  private String testName;

  /** One controller of the group: its data directory and its process. */
  private final class Member implements AutoCloseable {
    final String name;
    final Path data;
    ServeProcess process;
    private SvcregClient client;

    Member(String name) {
      this.name = name;
      this.data = tmp.resolve(name);
    }

    void start(String... more) {
      closeClient();
      deleteQuietly(data.resolve("api.url"));
      List<String> args =
          new ArrayList<>(
              List.of(
                  "serve",
                  "--specs",
                  specs.toString(),
                  "--data",
                  data.toString(),
                  "--listen",
                  "127.0.0.1:0",
                  "--etcd",
                  etcd.endpoints()));
      args.addAll(List.of(more));
      process = ServeProcess.start(tmp.resolve("logs").resolve(name), args);
      Waits.atMost(Duration.ofSeconds(60))
          .alias(name + " serves its API")
          .failFast(() -> !process.alive())
          .until(() -> Files.exists(data.resolve("api.url")));
    }

    URI url() throws IOException {
      return URI.create(Files.readString(data.resolve("api.url")).strip());
    }

    SvcregClient client() throws IOException {
      if (client == null) {
        URI url = URI.create(Files.readString(data.resolve("api.url")).strip());
        client =
            SvcregClient.connect(
                ClientConfig.of(
                    url,
                    ClientConfig.trusting(data.resolve("tls/ca.crt")),
                    "the test CA",
                    Files.readString(data.resolve("tokens/admin.token")).strip()));
      }
      return client;
    }

    JsonNode cluster() {
      try {
        return client().call("server_info", Map.of()).path("cluster");
      } catch (IOException | RuntimeException e) {
        closeClient();
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
      }
    }

    boolean leads() {
      return cluster().path("role").asText().equals("leader");
    }

    JsonNode services() throws IOException {
      return client().call("list_services", Map.of()).path("services");
    }

    void closeClient() {
      if (client != null) {
        client.close();
        client = null;
      }
    }

    @Override
    public void close() {
      closeClient();
      if (process != null) {
        try {
          if (process.alive()) {
            process.terminate(Duration.ofSeconds(30));
          }
        } catch (AssertionError stuck) {
          // paused, or stuck: killed below
        } finally {
          process.close();
        }
      }
    }
  }

  @BeforeEach
  void setUp(TestInfo info) throws IOException {
    testName = info.getTestMethod().orElseThrow().getName();
    etcd = EtcdCluster.start(tmp.resolve("etcd"));
    node = OpenSshd.start("127.0.0.2", tmp.resolve("node"), tmp.resolve("id_ed25519")).trusted();
    specs = Files.createDirectories(tmp.resolve("specs"));
    packages = Files.createDirectories(tmp.resolve("packages"));
    installRoot = tmp.resolve("install");
  }

  @AfterEach
  void tearDown() {
    try {
      members.forEach(Member::close);
      for (Member m : members) {
        ServeProcess.keepLogs(
            tmp.resolve("logs").resolve(m.name), "ControllerGroupIT-" + testName + "-" + m.name);
      }
    } finally {
      try {
        node.close();
      } finally {
        ServiceProcesses.below(installRoot)
            .forEach(f -> ProcessHandle.of(f.pid()).ifPresent(ProcessHandle::destroyForcibly));
        etcd.close();
      }
    }
  }

  @Test
  void leaderKilledWhileItDeploysTwentyServices_aStandbyFinishes_nothingTwiceNothingHalfDone()
      throws Exception {
    Member a = member("a");
    a.start("--leader-ttl", "4s");
    Waits.atMost(LONG).alias("a leads").until(a::leads);
    Member b = standby("b", a, "--leader-ttl", "4s");
    long firstEpoch = a.cluster().path("epoch").asLong();
    // a watcher of the group: a first, b next
    List<String> seen = new CopyOnWriteArrayList<>();
    long since = a.client().call("server_info", Map.of()).path("revision").asLong();
    SvcregClient watcher =
        SvcregClient.connect(
            a.client().config().withServers(List.of(a.url(), b.url())).withFailoverWait(LONG));
    watcher
        .subscribe(List.of(), OptionalLong.of(since), e -> seen.add(e.json().toString()))
        .get(30, TimeUnit.SECONDS);

    writeSpecs(20);
    Waits.atMost(LONG).alias("a has started some of the 20 services").until(() -> running(a) >= 2);
    a.process.kill();

    Waits.atMost(LONG).alias("b leads after a was killed").until(b::leads);
    long epoch = b.cluster().path("epoch").asLong();
    assertThat(epoch).as("b's epoch").isGreaterThan(firstEpoch);
    ServeProcess.Result get = cli("get", "cluster", "--data", b.data.toString());
    assertThat(get.exitCode()).as(get.stderr()).isZero();
    assertThat(get.stdout())
        .as("svcreg get cluster")
        .contains("(leader), leader " + b.cluster().path("member").asText() + ", epoch " + epoch)
        .contains("RAFT LEADER");
    Waits.atMost(Duration.ofSeconds(240))
        .alias("b finishes the 20 services")
        .failFast(() -> !b.process.alive())
        .until(() -> running(b) == 20);

    JsonNode services = b.services();
    Set<String> addresses = new HashSet<>();
    Map<String, Long> pids = new TreeMap<>();
    for (JsonNode s : services) {
      String name = s.path("metadata").path("name").asText();
      String address = s.path("status").path("address").asText();
      assertThat(addresses.add(address))
          .as(name + "'s address " + address + " is its own")
          .isTrue();
      pids.put(name, s.path("status").path("pid").asLong());
    }
    assertOneProcessPerService(pids);
    assertInstallRootComplete(20);

    // the watcher moved to b when a died: every event of the journal since it subscribed, once
    long last = b.client().call("server_info", Map.of()).path("revision").asLong();
    Waits.atMost(LONG)
        .alias("the watcher has every event up to revision " + last)
        .until(() -> !seen.isEmpty() && revisionOf(seen.getLast()) >= last);
    watcher.close();
    JsonNode journal =
        b.client().call("list_events", Map.of("since", since, "limit", 1000)).path("events");
    assertThat(journal.size()).as("events listed").isLessThan(1000);
    List<String> expected = new ArrayList<>();
    for (JsonNode e : journal) {
      if (e.path("revision").asLong() <= last) {
        expected.add(e.toString());
      }
    }
    assertThat(seen.stream().map(ControllerGroupIT::withoutType).toList())
        .as("what the watcher got, across a's death, is b's journal: no gap, no duplicate")
        .isEqualTo(expected.stream().map(ControllerGroupIT::withoutType).toList());
    assertThat(Files.readString(installRoot.resolve(SshDeployer.EPOCH_FILE)).strip())
        .as("the node's highest epoch seen")
        .isEqualTo(Long.toString(epoch));
  }

  @Test
  void leaderPausedPastItsLease_stepsDownWhenResumedWithoutTouchingANode() throws Exception {
    Member a = member("a");
    a.start("--leader-ttl", "3s");
    Waits.atMost(LONG).alias("a leads").until(a::leads);
    Member b = standby("b", a, "--leader-ttl", "3s");
    writeSpecs(3);
    Waits.atMost(LONG).alias("a runs the 3 services").until(() -> running(a) == 3);
    Map<String, Long> pids = pids(a);

    signal(a, "STOP");
    Waits.atMost(LONG).alias("b leads while a is paused").until(b::leads);
    long epoch = b.cluster().path("epoch").asLong();
    // b's health checks reach the node with its epoch
    Waits.atMost(LONG)
        .alias("the node has seen b's epoch " + epoch)
        .until(() -> nodeEpoch().equals(Long.toString(epoch)));
    List<String> installed = installRootEntries();
    signal(a, "CONT");

    assertThat(a.process.awaitExit(Duration.ofSeconds(60)))
        .as("a exits once it finds it no longer leads (3: deposed); log:%n%s", a.process.stderr())
        .isEqualTo(3);
    assertThat(a.process.stderr()).contains("stopped leading");
    assertThat(b.leads()).as("b still leads").isTrue();
    assertThat(b.cluster().path("epoch").asLong()).as("b's epoch").isEqualTo(epoch);
    assertThat(nodeEpoch()).as("the node's highest epoch seen").isEqualTo(Long.toString(epoch));
    assertThat(pids(b)).as("the services' processes, as b records them").isEqualTo(pids);
    assertOneProcessPerService(pids);
    assertThat(installRootEntries()).as("the node's install root").isEqualTo(installed);
  }

  @Test
  void leaderStopped_resignsAndAStandbyLeadsBeforeTheLeaseWouldExpire() throws Exception {
    Files.writeString(
        specs.resolve("here.yaml"),
        "apiVersion: svcreg.io/v1\nkind: Network\nmetadata: {name: here}\n"
            + "spec: {type: local, subnet: 127.0.9.0/24}\n");
    Member a = member("a");
    a.start("--leader-ttl", "30s");
    Waits.atMost(LONG).alias("a leads").until(a::leads);
    Member b = standby("b", a, "--leader-ttl", "30s");
    writeSpecs(1);
    Waits.atMost(LONG).alias("a runs the service").until(() -> running(a) == 1);
    Map<String, Long> pids = pids(a);
    // apply would write one member's spec directory only
    assertThatThrownBy(() -> a.client().call("apply", Map.of("text", "kind: Service\n")))
        .isInstanceOfSatisfying(
            ApiException.class, e -> assertThat(e.code()).isEqualTo("unavailable"))
        .hasMessageContaining("high-availability group");
    assertThat(a.process.stderr())
        .as("a warns that a group has no local network")
        .contains("Network/here: a local network is one controller's host");

    long stopped = System.nanoTime();
    assertThat(a.process.terminate(Duration.ofSeconds(30))).as("a's exit code").isIn(0, 143);
    Waits.atMost(Duration.ofSeconds(15)).alias("b leads once a resigned").until(b::leads);
    assertThat(Duration.ofNanos(System.nanoTime() - stopped))
        .as("b took over well before a's 30 s lease could have expired")
        .isLessThan(Duration.ofSeconds(20));
    Waits.atMost(LONG).alias("b sees the service running").until(() -> running(b) == 1);
    assertThat(pids(b)).as("the service keeps its process").isEqualTo(pids);
  }

  @Test
  void publishedEntry_expiresOnItsEtcdLease_afterItsLeaderDied() throws Exception {
    Member a = member("a");
    a.start("--leader-ttl", "3s");
    Waits.atMost(LONG).alias("a leads").until(a::leads);
    Member b = standby("b", a, "--leader-ttl", "3s");
    a.client()
        .publish(
            "billing",
            java.util.Optional.empty(),
            List.of(new SvcregClient.PublishedApi("http", "127.0.0.1", 8080, "http")),
            java.util.Optional.of(Duration.ofSeconds(6)));
    try (io.etcd.jetcd.Client c = etcd.client()) {
      List<io.etcd.jetcd.KeyValue> kvs =
          c.getKVClient()
              .get(
                  io.etcd.jetcd.ByteSequence.from(
                      "/svcreg/state/registry/billing", java.nio.charset.StandardCharsets.UTF_8))
              .get(10, TimeUnit.SECONDS)
              .getKvs();
      assertThat(kvs).as("billing's key in etcd").hasSize(1);
      assertThat(kvs.getFirst().getLease()).as("billing's key is on an etcd lease").isNotZero();
    }
    Waits.atMost(LONG)
        .alias("the standby has the entry")
        .ignoreExceptions()
        .until(
            () ->
                b.client().call("discover", Map.of("module", "billing")).path("endpoints").size()
                    == 1);
    a.process.kill();

    Waits.atMost(LONG).alias("b leads").until(b::leads);
    Waits.atMost(LONG)
        .alias("billing's removal is recorded once etcd expired it")
        .until(
            () ->
                b.client()
                    .call("list_events", Map.of("events", List.of("service_removed")))
                    .path("events"),
            events -> events.size() == 1);
    JsonNode removed =
        b.client()
            .call("list_events", Map.of("events", List.of("service_removed")))
            .path("events")
            .get(0);
    assertThat(removed.path("key").asText()).isEqualTo("Published/billing");
    assertThat(removed.path("data").path("reason").asText()).isEqualTo("expired");
  }

  @Test
  void etcdRaftLeaderKilled_noControllerFailover_writesResume() throws Exception {
    Member a = member("a");
    a.start();
    Waits.atMost(LONG).alias("a leads").until(a::leads);
    Member b = standby("b", a);
    long epoch = a.cluster().path("epoch").asLong();
    writeSpecs(2);
    Waits.atMost(LONG).alias("a runs the 2 services").until(() -> running(a) == 2);

    etcd.kill(etcd.leader());
    writeSpecs(3);
    Waits.atMost(LONG)
        .alias("a deploys a third service once etcd has a new raft leader")
        .failFast(() -> !a.process.alive())
        .until(() -> running(a) == 3);
    a.client()
        .publish(
            "billing",
            java.util.Optional.of("7"),
            List.of(new SvcregClient.PublishedApi("http", "127.0.0.1", 8080, "http")),
            java.util.Optional.empty());
    Waits.atMost(LONG)
        .alias("the standby has the publish too")
        .ignoreExceptions()
        .until(
            () ->
                b.client().call("discover", Map.of("module", "billing")).path("endpoints").size()
                    == 1);

    // the registry's HTTP routes send writes on a standby to the leader, query and all
    HttpClient http =
        HttpClient.newBuilder()
            .sslContext(ClientConfig.trusting(b.data.resolve("tls/ca.crt")))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    String path = "/api/v1/unpublish/billing?processID=7";
    HttpResponse<String> redirect =
        http.send(
            HttpRequest.newBuilder(URI.create("https://" + b.url().getRawAuthority() + path))
                .DELETE()
                .header(
                    "Authorization",
                    "Bearer " + Files.readString(b.data.resolve("tokens/admin.token")).strip())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(redirect.statusCode()).as(redirect.body()).isEqualTo(307);
    assertThat(redirect.headers().firstValue("Location"))
        .contains("https://" + a.url().getRawAuthority() + path);

    assertThat(a.process.alive()).as("a still runs").isTrue();
    assertThat(a.leads()).as("a still leads").isTrue();
    assertThat(a.cluster().path("epoch").asLong()).as("a's epoch").isEqualTo(epoch);
    assertThat(b.cluster().path("role").asText()).as("b's role").isEqualTo("standby");
    JsonNode health = a.cluster().path("etcd");
    assertThat(health.findValues("healthy").stream().filter(JsonNode::asBoolean).count())
        .as("etcd members that answer, as a sees them: %s", health)
        .isEqualTo(2);
    Waits.atMost(LONG)
        .alias("svcreg status shows the group as a sees it")
        .until(
            () -> cli("status", "--data", a.data.toString()).stdout(),
            out -> out.contains("(leader), leader") && out.contains("HEALTHY"));
    assertOneProcessPerService(pids(a));
  }

  private static long revisionOf(String event) {
    try {
      return Json.mapper().readTree(event).path("revision").asLong();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** An event's JSON as {@code list_events} has it (pushed events carry a {@code type}). */
  private static String withoutType(String event) {
    try {
      com.fasterxml.jackson.databind.node.ObjectNode n =
          (com.fasterxml.jackson.databind.node.ObjectNode) Json.mapper().readTree(event);
      n.remove("type");
      return Json.mapper().writeValueAsString(Json.mapper().treeToValue(n, Object.class));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private ServeProcess.Result cli(String... args) {
    return ServeProcess.run(tmp.resolve("logs").resolve("cli"), Duration.ofSeconds(60), args);
  }

  private Map<String, Long> pids(Member m) throws IOException {
    Map<String, Long> pids = new TreeMap<>();
    for (JsonNode s : m.services()) {
      pids.put(s.path("metadata").path("name").asText(), s.path("status").path("pid").asLong());
    }
    return pids;
  }

  private String nodeEpoch() throws IOException {
    Path f = installRoot.resolve(SshDeployer.EPOCH_FILE);
    return Files.exists(f) ? Files.readString(f).strip() : "";
  }

  private List<String> installRootEntries() throws IOException {
    try (Stream<Path> s = Files.list(installRoot)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static void signal(Member m, String signal) throws Exception {
    Process p =
        new ProcessBuilder("kill", "-" + signal, Long.toString(m.process.process().pid()))
            .inheritIO()
            .start();
    assertThat(p.waitFor()).as("kill -" + signal).isZero();
  }

  private int running(Member m) {
    try {
      int n = 0;
      for (JsonNode s : m.services()) {
        JsonNode st = s.path("status");
        if (st.path("phase").asText().equals("running")
            && st.path("health").path("state").asText().equals("passing")) {
          n++;
        }
      }
      return n;
    } catch (IOException | RuntimeException e) {
      m.closeClient();
      return -1;
    }
  }

  /** Exactly one live service process per service, the one its status records. */
  private void assertOneProcessPerService(Map<String, Long> pids) {
    Map<String, List<Long>> found = new TreeMap<>();
    for (ServiceProcesses.Found f : ServiceProcesses.below(installRoot)) {
      if (f.commandLine().startsWith("sleep")) {
        found.computeIfAbsent(f.service(), k -> new ArrayList<>()).add(f.pid());
      }
    }
    Map<String, List<Long>> expected = new TreeMap<>();
    pids.forEach((k, v) -> expected.put(k, List.of(v)));
    assertThat(found).as("the service processes on the node").isEqualTo(expected);
  }

  /** The install root holds one complete version directory per service and nothing half made. */
  private void assertInstallRootComplete(int services) throws IOException {
    List<String> dirs = new ArrayList<>();
    try (Stream<Path> s = Files.list(installRoot)) {
      for (Path p : s.toList()) {
        String n = p.getFileName().toString();
        if (Files.isDirectory(p)) {
          dirs.add(n);
          assertThat(p.resolve(".svcreg-install")).as(n + " is a complete install").isRegularFile();
        }
      }
    }
    assertThat(dirs).as("the version directories on the node").hasSize(services);
  }

  private Member member(String name) {
    Member m = new Member(name);
    members.add(m);
    return m;
  }

  /**
   * A member that shares {@code first}'s CA and tokens (as an operator copies them), started as a
   * standby.
   */
  private Member standby(String name, Member first, String... more) throws IOException {
    Member m = member(name);
    Files.createDirectories(m.data.resolve("tls"));
    for (String f : List.of("ca.crt", "ca.key")) {
      Files.copy(
          first.data.resolve("tls").resolve(f),
          m.data.resolve("tls").resolve(f),
          StandardCopyOption.COPY_ATTRIBUTES);
    }
    copyTree(first.data.resolve("tokens"), m.data.resolve("tokens"));
    m.start(more);
    Waits.atMost(LONG)
        .alias(name + " stands by")
        .until(() -> m.cluster().path("role").asText().equals("standby"));
    return m;
  }

  private void writeSpecs(int n) throws IOException {
    for (int i = 0; i < n; i++) {
      if (!Files.exists(packages.resolve("s" + i + "-1"))) {
        lightPackage("s" + i, "1");
      }
    }
    StringBuilder b = new StringBuilder(node.lanNetwork("lan", USER, installRoot));
    for (int i = 0; i < n; i++) {
      b.append("---\napiVersion: svcreg.io/v1\nkind: Service\nmetadata: {name: s")
          .append(i)
          .append("}\nspec:\n  version: \"1\"\n  package: ../packages/s")
          .append(i)
          .append("-1\n  network: lan\n")
          .append("  node: node-0\n  endpoints: [{name: http, port: 9000}]\n")
          .append("  health: {script: scripts/health.sh, interval: 1s, timeout: 2s}\n");
    }
    Path tmpFile = specs.resolve(".all.yaml.tmp");
    Files.writeString(tmpFile, b.toString());
    Files.move(tmpFile, specs.resolve("all.yaml"), StandardCopyOption.ATOMIC_MOVE);
  }

  private void lightPackage(String name, String version) throws IOException {
    Path p = Files.createDirectories(packages.resolve(name + "-" + version).resolve("scripts"));
    Files.writeString(
        p.getParent().resolve("manifest.yaml"),
        "name: " + name + "\nversion: \"" + version + "\"\n");
    script(
        p.resolve("start.sh"),
        "mkdir -p \"$SERVICE_HOME/run\"\necho \"$$\" >\"$SERVICE_HOME/run/service.pid\"\n"
            + "exec sleep 100000");
    script(
        p.resolve("stop.sh"),
        "kill -TERM \"$SERVICE_PID\" 2>/dev/null || true\nrm -f \"$SERVICE_HOME/run/service.pid\"");
    script(p.resolve("health.sh"), "kill -0 \"$(cat \"$SERVICE_HOME/run/service.pid\")\"");
  }

  private static void script(Path file, String body) throws IOException {
    Files.writeString(file, "#!/usr/bin/env bash\n" + body + "\n");
    file.toFile().setExecutable(true, false);
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

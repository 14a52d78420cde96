package io.svcreg.ha;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.etcd.jetcd.Client;
import io.svcreg.Waits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * A real etcd cluster for tests: {@code size} members of Debian's {@code /usr/bin/etcd} on free
 * ports of 127.0.0.1 with fast raft timers (heartbeat 50 ms, election timeout 500 ms), their data
 * and logs in a directory of the test's. Members are numbered from 0; each can be killed (SIGKILL),
 * paused (SIGSTOP), resumed and started again. Closing kills every member and deletes the data.
 */
final class EtcdCluster implements AutoCloseable {

  /** Debian's etcd server ({@code etcd-server}). */
  static final Path ETCD = Path.of("/usr/bin/etcd");

  /** The raft election timeout of the members; leases should live at least five times longer. */
  static final Duration ELECTION_TIMEOUT = Duration.ofMillis(500);

  private static final Duration STARTUP = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final List<Member> members;
  private final String initialCluster;
  private final HttpClient http = HttpClient.newHttpClient();

  /** One etcd process and its ports; {@code process} is replaced when it is started again. */
  private static final class Member {
    final String name;
    final int clientPort;
    final int peerPort;
    Process process;
    boolean paused;
    boolean killed;

    Member(String name, int clientPort, int peerPort) {
      this.name = name;
      this.clientPort = clientPort;
      this.peerPort = peerPort;
    }

    String clientUrl() {
      return "http://127.0.0.1:" + clientPort;
    }

    String peerUrl() {
      return "http://127.0.0.1:" + peerPort;
    }

    boolean running() {
      return process != null && process.isAlive();
    }
  }

  private EtcdCluster(Path dir, List<Member> members) {
    this.dir = dir;
    this.members = members;
    this.initialCluster =
        String.join(",", members.stream().map(m -> m.name + "=" + m.peerUrl()).toList());
  }

  /** Starts a cluster of three members with their data under {@code dir}. */
  static EtcdCluster start(Path dir) {
    return start(dir, 3);
  }

  /** Starts a cluster of {@code size} members and waits until every one of them sees a leader. */
  static EtcdCluster start(Path dir, int size) {
    if (!Files.isExecutable(ETCD)) {
      throw new IllegalStateException(
          ETCD
              + " is missing: the high-availability tests run a real etcd; install Debian's"
              + " etcd-server (`apt-get install etcd-server etcd-client`, as tools/test does)");
    }
    int[] ports = freePorts(2 * size);
    List<Member> members =
        IntStream.range(0, size)
            .mapToObj(i -> new Member("m" + (i + 1), ports[2 * i], ports[2 * i + 1]))
            .toList();
    EtcdCluster cluster = new EtcdCluster(dir, members);
    try {
      for (int i = 0; i < size; i++) {
        cluster.launch(i, "new");
      }
      cluster.awaitHealthy();
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /** Ports free on 127.0.0.1 at the moment, all distinct (every socket is held until all are). */
  private static int[] freePorts(int n) {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        ServerSocket s = new ServerSocket();
        sockets.add(s);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      }
      return sockets.stream().mapToInt(ServerSocket::getLocalPort).toArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      for (ServerSocket s : sockets) {
        try {
          s.close();
        } catch (IOException e) {
          // nothing listens on it either way
        }
      }
    }
  }

  /** Runs member {@code i} with {@code --initial-cluster-state state}, its log appended. */
  private void launch(int i, String state) {
    Member m = members.get(i);
    List<String> cmd =
        List.of(
            ETCD.toString(),
            "--name",
            m.name,
            "--data-dir",
            dir.resolve(m.name).toString(),
            "--listen-client-urls",
            m.clientUrl(),
            "--advertise-client-urls",
            m.clientUrl(),
            "--listen-peer-urls",
            m.peerUrl(),
            "--initial-advertise-peer-urls",
            m.peerUrl(),
            "--initial-cluster",
            initialCluster,
            "--initial-cluster-state",
            state,
            "--initial-cluster-token",
            "svcreg-test-" + dir.getFileName(),
            "--heartbeat-interval",
            "50",
            "--election-timeout",
            Long.toString(ELECTION_TIMEOUT.toMillis()),
            "--listen-metrics-urls",
            "",
            "--logger=zap",
            "--log-outputs=stderr");
    try {
      Files.createDirectories(dir);
      m.process =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log(i).toFile()))
              .start();
      m.paused = false;
      m.killed = false;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Path log(int i) {
    return dir.resolve(members.get(i).name + ".log");
  }

  /** Waits until every running member answers and names the same raft leader. */
  private void awaitHealthy() {
    Waits.atMost(STARTUP)
        .until(
            () -> {
              failIfExited();
              return agreedLeader().isPresent();
            });
  }

  /** Fails with the member's log when a member that should run has exited. */
  private void failIfExited() throws IOException {
    for (int i = 0; i < members.size(); i++) {
      Member m = members.get(i);
      if (m.process != null && !m.process.isAlive() && !m.killed) {
        throw new IllegalStateException(
            "etcd member " + m.name + " exited: " + Files.readString(log(i)));
      }
    }
  }

  /** A member's raft status: its own id and the id of the leader it knows (0: none). */
  private record Status(long member, long leader) {}

  /** The raft leader's member number when every running, unpaused member names it. */
  private Optional<Integer> agreedLeader() {
    List<Integer> up =
        IntStream.range(0, members.size())
            .filter(i -> members.get(i).running() && !members.get(i).paused)
            .boxed()
            .toList();
    List<Optional<Status>> statuses = up.stream().map(this::status).toList();
    if (statuses.stream().anyMatch(s -> s.isEmpty() || s.get().leader() == 0)) {
      return Optional.empty();
    }
    long leader = statuses.get(0).orElseThrow().leader();
    if (statuses.stream().anyMatch(s -> s.orElseThrow().leader() != leader)) {
      return Optional.empty();
    }
    for (int k = 0; k < up.size(); k++) {
      if (statuses.get(k).orElseThrow().member() == leader) {
        return Optional.of(up.get(k));
      }
    }
    return Optional.empty();
  }

  /**
   * Member {@code i}'s status from etcd's JSON gateway, or empty when it does not answer within a
   * second (plain HTTP: a request to a paused member is given up for good, where a jetcd status
   * call would keep a channel of its own open).
   */
  private Optional<Status> status(int i) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(members.get(i).clientUrl() + "/v3/maintenance/status"))
            .timeout(Duration.ofSeconds(1))
            .POST(HttpRequest.BodyPublishers.ofString("{}"))
            .build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        return Optional.empty();
      }
      JsonNode json = JSON.readTree(response.body());
      return Optional.of(
          new Status(
              Long.parseUnsignedLong(json.path("header").path("member_id").asText("0")),
              Long.parseUnsignedLong(json.path("leader").asText("0"))));
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** How many members the cluster has. */
  int size() {
    return members.size();
  }

  /** The client URL of member {@code i}. */
  String clientUrl(int i) {
    return members.get(i).clientUrl();
  }

  /** The client URLs of all members, in member order. */
  List<String> clientUrls() {
    return members.stream().map(Member::clientUrl).toList();
  }

  /** The client URLs comma-joined, as {@code serve --etcd} takes them. */
  String endpoints() {
    return String.join(",", clientUrls());
  }

  /** A new jetcd client of all members; the caller closes it. */
  Client client() {
    return Client.builder().endpoints(clientUrls().toArray(String[]::new)).build();
  }

  /**
   * The member number of the raft leader, waiting until the running members agree on one (after a
   * kill they elect a new one within a few election timeouts).
   */
  int leader() {
    return Waits.atMost(Duration.ofSeconds(15))
        .until(this::agreedLeader, Optional::isPresent)
        .get();
  }

  /** Kills member {@code i} with SIGKILL and waits until it has exited. */
  void kill(int i) {
    Member m = members.get(i);
    if (m.process == null) {
      return;
    }
    m.killed = true;
    m.process.destroyForcibly();
    try {
      if (!m.process.waitFor(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("etcd member " + m.name + " did not exit on SIGKILL");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Freezes member {@code i} with SIGSTOP: its sockets stay open and nothing answers. */
  void pause(int i) {
    signal(i, "STOP");
    members.get(i).paused = true;
  }

  /** Lets a paused member {@code i} run again with SIGCONT. */
  void resume(int i) {
    signal(i, "CONT");
    members.get(i).paused = false;
  }

  private void signal(int i, String signal) {
    Member m = members.get(i);
    if (!m.running()) {
      throw new IllegalStateException("etcd member " + m.name + " is not running");
    }
    try {
      Process kill =
          new ProcessBuilder("kill", "-" + signal, Long.toString(m.process.pid()))
              .redirectErrorStream(true)
              .start();
      String out = new String(kill.getInputStream().readAllBytes());
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + signal + " " + m.name + " failed: " + out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Starts killed member {@code i} again on its data directory, as an existing member, and waits
   * until the running members, it included, agree on a leader.
   */
  void restart(int i) {
    if (members.get(i).running()) {
      throw new IllegalStateException("etcd member " + members.get(i).name + " still runs");
    }
    launch(i, "existing");
    awaitHealthy();
  }

  /** Kills every member, waits for them to exit and deletes their data (the logs stay). */
  @Override
  public void close() {
    http.close();
    for (Member m : members) {
      if (m.process != null) {
        m.process.destroyForcibly();
      }
    }
    for (int i = 0; i < members.size(); i++) {
      kill(i);
      delete(dir.resolve(members.get(i).name));
    }
  }

  private static void delete(Path tree) {
    if (!Files.exists(tree)) {
      return;
    }
    try (Stream<Path> all = Files.walk(tree)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

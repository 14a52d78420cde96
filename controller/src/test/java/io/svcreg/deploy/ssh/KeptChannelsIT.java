package io.svcreg.deploy.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.svcreg.Waits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.keyprovider.FileKeyPairProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The channels {@link SshConnection} keeps open on a node between actions, against a real sshd:
 * shells that run scripts ({@link NodeShell}) and SFTP clients ({@link ChannelPool}).
 */
class KeptChannelsIT {

  private static final Duration T = Duration.ofSeconds(20);

  @TempDir static Path shared;
  static OpenSshd sshd;

  private SshConnection connection;

  @BeforeAll
  static void startServer() {
    sshd =
        OpenSshd.start("127.0.0.2", shared.resolve("node"), shared.resolve("id_ed25519")).trusted();
  }

  @AfterAll
  static void stopServer() {
    sshd.close();
  }

  @BeforeEach
  void connect() {
    connection =
        new SshConnection(
            new SshTarget(
                "node-a",
                sshd.host,
                sshd.port,
                System.getProperty("user.name"),
                sshd.clientKey,
                sshd.knownHosts,
                shared.resolve("root").toString()),
            Duration.ofSeconds(10),
            Duration.ofSeconds(15),
            Optional.empty());
  }

  @AfterEach
  void close() {
    connection.close();
    // the next test counts the node's sftp-server processes
    Waits.atMost(Duration.ofSeconds(10)).until(() -> sftpServers() == 0);
  }

  /** The node's running sftp-server processes (one per SFTP client the connection has open). */
  private static long sftpServers() {
    return sshd.descendants()
        .filter(p -> p.info().command().orElse("").endsWith("/sftp-server"))
        .count();
  }

  private static Path file(String name, int size) throws Exception {
    Path f = Files.createDirectories(shared.resolve("local")).resolve(name);
    Files.write(f, new byte[size]);
    return f;
  }

  /** The pid of the shell that ran a script: its scripts' parent. */
  private String shellPid() throws Exception {
    return connection.script("echo $PPID\n", T).out().strip();
  }

  @Test
  void script_outputErrorAndExitCode_areTheScripts() throws Exception {
    SshConnection.Result r = connection.script("echo out; echo err >&2; exit 3\n", T);

    assertThat(r).isEqualTo(new SshConnection.Result(3, "out\n", "err\n"));
    assertThat(connection.script("printf x\n", T)).isEqualTo(new SshConnection.Result(0, "x", ""));
  }

  @Test
  void script_sequentialScripts_runOnOneShellEachInItsOwnProcess() throws Exception {
    String first = shellPid();
    connection.script("cd /; x=1; exit 0\n", T);

    assertThat(shellPid()).isEqualTo(first);
    SshConnection.Result r = connection.script("pwd; echo \"x=${x:-unset}\"\n", T);
    assertThat(r.out()).doesNotStartWith("/\n").endsWith("x=unset\n");
  }

  @Test
  void script_outputLikeTheProtocolsOwnLines_andLargeOutput_arriveWhole() throws Exception {
    String tricky = "svcreg-end-0123 0\nsvcreg-shell-ready\n";
    SshConnection.Result r =
        connection.script("printf '%s' '" + tricky + "'; printf 'no newline'\n", T);
    assertThat(r.out()).isEqualTo(tricky + "no newline");

    SshConnection.Result big =
        connection.script("head -c 3000000 /dev/zero | tr '\\0' a; echo; echo e >&2\n", T);
    assertThat(big.out()).hasSize(3_000_001).startsWith("aaa").endsWith("a\n");
    assertThat(big.err()).isEqualTo("e\n");
    assertThat(connection.script("echo next\n", T).out()).isEqualTo("next\n");
  }

  @Test
  void script_multibyteText_isCountedInBytes() throws Exception {
    SshConnection.Result r = connection.script("printf '%s\\n' 'héllo wörld ✓'\n", T);

    assertThat(r.out()).isEqualTo("héllo wörld ✓\n");
    assertThat(connection.script("echo after\n", T).out()).isEqualTo("after\n");
  }

  @Test
  void script_readingStdin_getsEndOfFileInsteadOfTheNextScript() throws Exception {
    SshConnection.Result r = connection.script("cat; read line; echo \"read $?\"\n", T);

    assertThat(r.out()).isEqualTo("read 1\n");
    assertThat(connection.script("echo still\n", T).out()).isEqualTo("still\n");
  }

  @Test
  void script_thatDoesNotEndInTime_timesOutAndTheNextScriptGetsANewShell() throws Exception {
    String before = shellPid();

    assertThatThrownBy(() -> connection.script("sleep 30\n", Duration.ofSeconds(1)))
        .isInstanceOf(SshConnection.Timeout.class)
        .hasMessageContaining("a command on node node-a")
        .hasMessageContaining("did not finish within 1 s");

    assertThat(shellPid()).isNotEqualTo(before);
  }

  @Test
  void script_thatKillsItsShell_failsAloneAndTheNextScriptGetsANewShell() throws Exception {
    String before = shellPid();

    assertThatThrownBy(() -> connection.script("kill -KILL $PPID; sleep 1\n", T))
        .isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("shell ended");

    assertThat(shellPid()).isNotEqualTo(before);
  }

  @Test
  void script_atTheSameTime_runOnSeveralShellsThatAreKeptForLater() throws Exception {
    List<CompletableFuture<String>> running =
        IntStream.range(0, 3)
            .mapToObj(
                i ->
                    CompletableFuture.supplyAsync(
                        () -> {
                          try {
                            return connection.script("sleep 1; echo $PPID\n", T).out().strip();
                          } catch (Exception e) {
                            throw new IllegalStateException(e);
                          }
                        }))
            .toList();
    List<String> pids = running.stream().map(CompletableFuture::join).toList();

    assertThat(pids).doesNotHaveDuplicates();
    assertThat(pids).contains(shellPid(), shellPid());
  }

  @Test
  void script_longerThanAShellArgument_runsOnAChannelOfItsOwn() throws Exception {
    String shell = shellPid();
    String script =
        "# " + "x".repeat(NodeShell.MAX_SCRIPT) + "\necho $PPID; echo long >&2; exit 4\n";

    SshConnection.Result r = connection.script(script, T);

    assertThat(r.exit()).isEqualTo(4);
    assertThat(r.out().strip()).isNotEqualTo(shell);
    assertThat(r.err()).isEqualTo("long\n");
    assertThat(shellPid()).isEqualTo(shell);
  }

  @Test
  void upload_again_usesTheSftpServerKeptFromTheFirst() throws Exception {
    Path remote = Files.createDirectories(shared.resolve("uploads-again"));
    Path f = file("a.bin", 300 * 1024);
    long[] last = {0};

    connection.upload(f, remote.resolve("a").toString(), n -> last[0] = n);
    connection.upload(f, remote.resolve("b").toString(), n -> {});

    assertThat(last[0]).isEqualTo(300 * 1024);
    assertThat(remote.resolve("a")).hasSameBinaryContentAs(f);
    assertThat(remote.resolve("b")).hasSameBinaryContentAs(f);
    assertThat(sftpServers()).isEqualTo(1);
  }

  @Test
  void openInBackground_opensAShellAndAnSftpClientAheadThatTheFirstActionsUse() throws Exception {
    connection.openInBackground();
    Waits.atMost(Duration.ofSeconds(10)).until(() -> sftpServers() == 1);

    String shell = shellPid();
    Path remote = Files.createDirectories(shared.resolve("uploads-ahead"));
    connection.upload(file("b.bin", 1024), remote.resolve("b").toString(), n -> {});

    assertThat(sftpServers()).isEqualTo(1);
    assertThat(shellPid()).isEqualTo(shell);
  }

  @Test
  void close_endsTheKeptSftpServer() throws Exception {
    Path remote = Files.createDirectories(shared.resolve("uploads-close"));
    connection.upload(file("c.bin", 1024), remote.resolve("c").toString(), n -> {});
    assertThat(sftpServers()).isEqualTo(1);

    connection.close();

    Waits.atMost(Duration.ofSeconds(10)).until(() -> sftpServers() == 0);
  }

  /** A logged-in session of its own, for the pool's tests (closed with the test's client). */
  private ClientSession rawSession(SshClient client) throws Exception {
    client.setServerKeyVerifier(
        new KnownHosts(sshd.knownHosts, sshd.host, sshd.port)); // the server's key was trusted
    client.setKeyIdentityProvider(new FileKeyPairProvider(sshd.clientKey));
    client.start();
    ClientSession s =
        client
            .connect(System.getProperty("user.name"), sshd.host, sshd.port)
            .verify(T)
            .getSession();
    s.auth().verify(T);
    return s;
  }

  private static ChannelPool<NodeShell> shellPool(
      int max, Duration maxAge, List<NodeShell> opened) {
    return new ChannelPool<>(
        "shell-test",
        max,
        maxAge,
        (session, timeout) -> {
          NodeShell shell = NodeShell.open(session, timeout);
          opened.add(shell);
          return shell;
        },
        NodeShell::isOpen,
        NodeShell::close);
  }

  @Test
  void pool_givenBack_isHandedOutAgainUntilItIsTooOld() throws Exception {
    try (SshClient client = SshClient.setUpDefaultClient()) {
      ClientSession s = rawSession(client);
      List<NodeShell> opened = new CopyOnWriteArrayList<>();
      ChannelPool<NodeShell> pool = shellPool(2, Duration.ofMillis(500), opened);
      pool.use(s);

      NodeShell first = pool.take(s, T);
      pool.giveBack(s, first);
      assertThat(pool.take(s, T)).isSameAs(first);
      pool.giveBack(s, first);

      Waits.atMost(Duration.ofSeconds(10))
          .until(
              () -> {
                NodeShell next = pool.take(s, T);
                pool.giveBack(s, next);
                return next != first;
              });
      assertThat(first.isOpen()).as("the old shell is closed").isFalse();
      pool.clear();
      assertThat(opened).allSatisfy(shell -> assertThat(shell.isOpen()).isFalse());
    }
  }

  @Test
  void pool_keepsAtMostMaxIdleAndOnlyOfTheSessionInUse() throws Exception {
    try (SshClient client = SshClient.setUpDefaultClient()) {
      ClientSession s = rawSession(client);
      List<NodeShell> opened = new CopyOnWriteArrayList<>();
      ChannelPool<NodeShell> pool = shellPool(2, Duration.ofMinutes(10), opened);
      pool.use(s);
      List<NodeShell> taken = List.of(pool.take(s, T), pool.take(s, T), pool.take(s, T));
      assertThat(opened).hasSize(3);

      taken.forEach(shell -> pool.giveBack(s, shell));

      assertThat(taken.stream().filter(NodeShell::isOpen).count()).isEqualTo(2);
      List<NodeShell> again = List.of(pool.take(s, T), pool.take(s, T));
      assertThat(again).allMatch(taken::contains);
      again.forEach(shell -> pool.giveBack(s, shell));
      ClientSession other = rawSession(client);
      pool.use(other);
      assertThat(taken).noneMatch(NodeShell::isOpen);
      NodeShell fresh = pool.take(other, T);
      assertThat(taken).doesNotContain(fresh);
      pool.giveBack(s, fresh); // given back for the old session: closed, not kept
      assertThat(fresh.isOpen()).isFalse();
    }
  }

  @Test
  void pool_warm_opensOneAheadThatTheFirstTakeGets() throws Exception {
    try (SshClient client = SshClient.setUpDefaultClient()) {
      ClientSession s = rawSession(client);
      List<NodeShell> opened = new CopyOnWriteArrayList<>();
      ChannelPool<NodeShell> pool = shellPool(2, Duration.ofMinutes(10), opened);

      pool.warm(s, T);
      NodeShell shell = pool.take(s, T);

      assertThat(opened).containsExactly(shell);
      pool.discard(shell);
      assertThat(shell.isOpen()).isFalse();
    }
  }
}

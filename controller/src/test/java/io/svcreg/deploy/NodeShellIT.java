package io.svcreg.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.svcreg.Waits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Scripts on a node's kept shells ({@link NodeShell} through {@link SshConnection}), real sshd. */
class NodeShellIT {

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
  }

  /** The pid of the shell that ran a script: its scripts' parent. */
  private String shellPid() throws Exception {
    return connection.script("echo $PPID\n", T).out().strip();
  }

  @Test
  void script_outputErrorAndExitCode_areTheScripts() throws Exception {
    SshConnection.Result r = connection.script("echo out; echo err >&2; exit 3\n", T);

    assertThat(r).isEqualTo(new SshConnection.Result(3, "out\n", "err\n"));
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
    String tricky = "svcreg-rc 0 0 0\nsvcreg-shell-ready\n";
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

    assertThatThrownBy(() -> connection.script("kill -KILL $PPID; sleep 5\n", T))
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
  void close_removesTheShellsWorkingFilesOnTheNode() throws Exception {
    Path dir = Path.of(connection.script("dirname \"$0\"\n", T).out().strip());
    assertThat(dir.getFileName().toString()).startsWith("svcreg-shell.");
    assertThat(dir).isDirectory();

    connection.close();

    Waits.atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(dir));
  }
}

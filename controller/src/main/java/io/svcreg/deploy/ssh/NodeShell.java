package io.svcreg.deploy.ssh;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.session.ClientSession;

/**
 * A POSIX shell kept running on a node, over one exec channel of the node's session, that runs
 * scripts one after another.
 *
 * <p>sshd starts every command through the login shell of the node's user, which reads its rc files
 * first (bash reads {@code ~/.bashrc} for commands over SSH: 130 ms of CPU on a machine whose
 * {@code .bashrc} sets up pyenv). A shell kept open pays that once per channel instead of once per
 * install, start, stop and health check. Each script still runs in a fresh {@code sh -c} process of
 * its own, with stdin from {@code /dev/null} and its own working directory and exit code, so
 * scripts behave as they did with {@code sh -s} on a channel of their own.
 *
 * <p>The protocol, on the channel's streams: the driver ({@link #DRIVER}, sent to {@code sh -s})
 * prints {@code svcreg-shell-ready}; then, per script, the client sends a line with the script's
 * length in bytes and a random end mark, then the script. The driver reads exactly the script's
 * bytes ({@code dd bs=1}: a buffered reader would swallow the next frame; a script is a few KiB),
 * runs it with its stdout and stderr passed straight through, and then writes a newline, the end
 * mark and the exit code on a line to both. Nothing is written to the node's disk. Not thread-safe:
 * one script at a time ({@link SshConnection} keeps a pool).
 */
final class NodeShell implements AutoCloseable {

  /** The driver, read by {@code sh -s}: the client waits for its ready line before sending more. */
  static final String DRIVER =
      """
      echo svcreg-shell-ready
      while read -r n t; do
        s=$(dd bs=1 count="$n" 2>/dev/null)
        sh -c "$s" </dev/null
        rc=$?
        printf '\\n%s %s\\n' "$t" "$rc"
        printf '\\n%s %s\\n' "$t" "$rc" >&2
      done
      """;

  /**
   * The longest script sent to a kept shell: it becomes one argument of {@code sh -c}, and Linux
   * limits one argument to 128 KiB. Longer ones run on a channel of their own.
   */
  static final int MAX_SCRIPT = 120 * 1024;

  private static final String READY = "svcreg-shell-ready\n";
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A script that did not end in time; the shell is closed. */
  static final class Timeout extends IOException {
    private static final long serialVersionUID = 1L;

    Timeout() {
      super("timed out");
    }
  }

  private final ChannelExec channel;
  private final Output out = new Output(true);
  private final Output err = new Output(false);
  private OutputStream in;

  private NodeShell(ChannelExec channel) {
    this.channel = channel;
  }

  /** Whether {@code script} is short enough for a kept shell ({@link #MAX_SCRIPT}). */
  static boolean fits(String script) {
    // a char is at most 3 bytes of UTF-8: only a long script is encoded to count
    return script.length() * 3L <= MAX_SCRIPT
        || script.getBytes(StandardCharsets.UTF_8).length <= MAX_SCRIPT;
  }

  /** Opens a shell on {@code session}, waiting at most {@code timeout} for it to be ready. */
  static NodeShell open(ClientSession session, Duration timeout) throws IOException {
    ChannelExec ch = session.createExecChannel("sh -s");
    NodeShell shell = new NodeShell(ch);
    boolean ok = false;
    try {
      ch.setOut(shell.out);
      ch.setErr(shell.err);
      ch.addCloseFutureListener(f -> shell.ended());
      ch.open().verify(timeout);
      shell.in = ch.getInvertedIn();
      CompletableFuture<Ending> ready = shell.out.expect(null);
      shell.in.write(DRIVER.getBytes(StandardCharsets.UTF_8));
      shell.in.flush();
      await(ready, timeout);
      ok = true;
      return shell;
    } finally {
      if (!ok) {
        shell.close();
      }
    }
  }

  /** Runs {@code script} with {@code sh -c}; closes the shell when it does not end in time. */
  SshConnection.Result run(String script, Duration timeout) throws IOException {
    byte[] bytes = script.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > MAX_SCRIPT) {
      throw new IllegalArgumentException("a script of " + bytes.length + " bytes is too long");
    }
    byte[] mark = new byte[16];
    RANDOM.nextBytes(mark);
    String end = "svcreg-end-" + HexFormat.of().formatHex(mark);
    CompletableFuture<Ending> o = out.expect(end);
    CompletableFuture<Ending> e = err.expect(end);
    boolean ok = false;
    try {
      in.write((bytes.length + " " + end + "\n").getBytes(StandardCharsets.US_ASCII));
      in.write(bytes);
      in.flush();
      long deadline = System.nanoTime() + timeout.toNanos();
      Ending stdout = await(o, timeout);
      Ending stderr = await(e, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
      ok = true;
      return new SshConnection.Result(stdout.exit(), stdout.text(), stderr.text());
    } finally {
      if (!ok) {
        close(); // a script that is still running, or a shell out of step
      }
    }
  }

  boolean isOpen() {
    return channel.isOpen() && !channel.isClosing() && !out.failed() && !err.failed();
  }

  @Override
  public void close() {
    channel.close(true);
  }

  private void ended() {
    IOException e = new IOException("the node's shell ended" + err.lastWords());
    out.fail(e);
    err.fail(e);
  }

  private static Ending await(CompletableFuture<Ending> f, Duration timeout) throws IOException {
    try {
      return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new Timeout();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the node's shell");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException io) {
        throw new IOException(io.getMessage(), io);
      }
      throw new IOException(e.getCause());
    }
  }

  /** What a script wrote to one stream, and its exit code (from the end mark's line). */
  private record Ending(String text, int exit) {}

  /**
   * One of the driver's streams, written by the channel's I/O thread: the ready line (stdout), then
   * per script its output up to a newline, the end mark, a space, the exit code and a newline.
   */
  private static final class Output extends OutputStream {
    private final boolean stdout;
    private byte[] data = new byte[8192];
    private int size;
    private CompletableFuture<Ending> pending;
    private byte[] mark; // the ready line, or "\n" + the end mark + " "
    private boolean readyLine;
    private int searched; // where the search for the mark goes on
    private IOException failure;

    Output(boolean stdout) {
      this.stdout = stdout;
    }

    /** Waits for the end mark {@code end}, or for the ready line when it is null. */
    synchronized CompletableFuture<Ending> expect(String end) {
      CompletableFuture<Ending> f = new CompletableFuture<>();
      if (failure != null) {
        f.completeExceptionally(failure);
        return f;
      }
      pending = f;
      readyLine = end == null;
      if (!readyLine) {
        size = 0; // written before the script was sent (e.g. by the login shell): not the script's
      }
      mark = (readyLine ? READY : "\n" + end + " ").getBytes(StandardCharsets.US_ASCII);
      searched = 0;
      scan();
      return f;
    }

    synchronized boolean failed() {
      return failure != null;
    }

    synchronized void fail(IOException e) {
      if (failure == null) {
        failure = e;
      }
      if (pending != null) {
        pending.completeExceptionally(failure);
        pending = null;
      }
    }

    /** The end of what the driver wrote to stderr before it ended, for the message. */
    synchronized String lastWords() {
      String t = stdout ? "" : new String(data, 0, size, StandardCharsets.UTF_8).strip();
      return t.isEmpty() ? "" : ": " + (t.length() > 300 ? t.substring(t.length() - 300) : t);
    }

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      if (pending == null && size + len > (1 << 16)) {
        size = 0; // stray output between scripts: only the tail is kept, for lastWords
      }
      if (size + len > data.length) {
        data = Arrays.copyOf(data, Math.max(data.length * 2, size + len));
      }
      System.arraycopy(b, off, data, size, len);
      size += len;
      scan();
    }

    private void scan() {
      if (pending == null) {
        return;
      }
      int at = indexOf(Math.max(0, searched - mark.length));
      if (at < 0) {
        searched = size;
        return;
      }
      if (readyLine) {
        finish(at + mark.length, new Ending("", 0));
        return;
      }
      int nl = -1;
      for (int i = at + mark.length; i < size; i++) {
        if (data[i] == '\n') {
          nl = i;
          break;
        }
      }
      if (nl < 0) {
        searched = at; // the exit code's line is not complete yet
        return;
      }
      String code =
          new String(data, at + mark.length, nl - at - mark.length, StandardCharsets.UTF_8);
      int exit;
      try {
        exit = Integer.parseInt(code.trim());
      } catch (NumberFormatException e) {
        exit = -1;
      }
      finish(nl + 1, new Ending(new String(data, 0, at, StandardCharsets.UTF_8), exit));
    }

    /** Completes the script's wait, keeping what came after the mark (only a stray writer's). */
    private void finish(int consumed, Ending ending) {
      System.arraycopy(data, consumed, data, 0, size - consumed);
      size -= consumed;
      if (data.length > (1 << 20)) {
        data = Arrays.copyOf(data, Math.max(8192, size));
      }
      CompletableFuture<Ending> f = pending;
      pending = null;
      f.complete(ending);
    }

    private int indexOf(int from) {
      outer:
      for (int i = from; i <= size - mark.length; i++) {
        for (int j = 0; j < mark.length; j++) {
          if (data[i + j] != mark[j]) {
            continue outer;
          }
        }
        return i;
      }
      return -1;
    }
  }
}

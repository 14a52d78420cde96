package io.svcreg.deploy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
 * install, start, stop and health check. Each script still runs in a fresh {@code sh} process of
 * its own, with stdin from {@code /dev/null} and its own working directory and exit code, so
 * scripts behave as they did with {@code sh -s} on a channel of their own.
 *
 * <p>The protocol, on the channel's stdin and stdout: the driver ({@link #DRIVER}, sent to {@code
 * sh -s}) prints {@code svcreg-shell-ready}; then, per script, the client sends the script's length
 * in bytes on a line, then the script; the driver answers {@code svcreg-rc EXIT OUTBYTES ERRBYTES}
 * on a line, then the script's stdout and stderr. The driver reads exactly the script's bytes with
 * {@code dd bs=1} (POSIX; a buffered reader would swallow the next frame), since a script is a few
 * KiB. Not thread-safe: one script at a time ({@link SshConnection} keeps a pool).
 */
final class NodeShell implements AutoCloseable {

  /** The driver, read by {@code sh -s}: the client waits for its ready line before sending more. */
  static final String DRIVER =
      """
      d=$(mktemp -d "${TMPDIR:-/tmp}/svcreg-shell.XXXXXX") || exit 1
      trap 'rm -rf "$d"' EXIT
      trap 'exit 1' HUP PIPE TERM
      echo svcreg-shell-ready
      while IFS= read -r n; do
        dd bs=1 count="$n" of="$d/s" 2>/dev/null || exit 1
        sh "$d/s" </dev/null >"$d/o" 2>"$d/e"
        rc=$?
        printf 'svcreg-rc %s %s %s\\n' "$rc" "$(wc -c <"$d/o")" "$(wc -c <"$d/e")"
        cat "$d/o" "$d/e"
        rm -f "$d/o" "$d/e"
      done
      """;

  private static final String READY = "svcreg-shell-ready";
  private static final String RC = "svcreg-rc ";

  /** A script that did not end in time; the shell is closed. */
  static final class Timeout extends IOException {
    private static final long serialVersionUID = 1L;

    Timeout() {
      super("timed out");
    }
  }

  private final ChannelExec channel;
  private final Frames frames = new Frames();
  private OutputStream in;

  private NodeShell(ChannelExec channel) {
    this.channel = channel;
  }

  /** Opens a shell on {@code session}, waiting at most {@code timeout} for it to be ready. */
  static NodeShell open(ClientSession session, Duration timeout) throws IOException {
    ChannelExec ch = session.createExecChannel("sh -s");
    NodeShell shell = new NodeShell(ch);
    boolean ok = false;
    try {
      ch.setOut(shell.frames);
      ch.setErr(OutputStream.nullOutputStream());
      ch.addCloseFutureListener(f -> shell.frames.fail(new IOException("the node's shell ended")));
      ch.open().verify(timeout);
      shell.in = ch.getInvertedIn();
      CompletableFuture<SshConnection.Result> ready = shell.frames.expect(true);
      shell.send(DRIVER);
      await(ready, timeout);
      ok = true;
      return shell;
    } finally {
      if (!ok) {
        shell.close();
      }
    }
  }

  /** Runs {@code script} with {@code sh}; closes the shell when it does not end within timeout. */
  SshConnection.Result run(String script, Duration timeout) throws IOException {
    byte[] bytes = script.getBytes(StandardCharsets.UTF_8);
    CompletableFuture<SshConnection.Result> result = frames.expect(false);
    boolean ok = false;
    try {
      in.write((bytes.length + "\n").getBytes(StandardCharsets.US_ASCII));
      in.write(bytes);
      in.flush();
      SshConnection.Result r = await(result, timeout);
      ok = true;
      return r;
    } finally {
      if (!ok) {
        close(); // a script that is still running, or a shell out of step
      }
    }
  }

  boolean isOpen() {
    return channel.isOpen() && !channel.isClosing() && !frames.failed();
  }

  @Override
  public void close() {
    channel.close(true);
  }

  private void send(String text) throws IOException {
    in.write(text.getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  private static SshConnection.Result await(
      CompletableFuture<SshConnection.Result> f, Duration timeout) throws IOException {
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

  /**
   * The driver's output, written by the channel's I/O thread: the ready line, then per script a
   * header line and the bytes it announces.
   */
  private static final class Frames extends OutputStream {
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private CompletableFuture<SshConnection.Result> pending;
    private boolean ready;
    private int exit;
    private long outLeft = -1;
    private long errLeft;
    private ByteArrayOutputStream out;
    private ByteArrayOutputStream err;
    private IOException failure;

    synchronized CompletableFuture<SshConnection.Result> expect(boolean readyLine) {
      CompletableFuture<SshConnection.Result> f = new CompletableFuture<>();
      if (failure != null) {
        f.completeExceptionally(failure);
      } else if (readyLine == ready) {
        f.completeExceptionally(new IllegalStateException("the shell is not ready"));
      } else {
        pending = f;
      }
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

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
      int i = off;
      int end = off + len;
      while (i < end && failure == null) {
        if (outLeft < 0) {
          byte c = b[i++];
          if (c != '\n') {
            line.write(c);
            if (line.size() > 256) {
              fail(new IOException("the node's shell printed unexpected output"));
            }
            continue;
          }
          header(line.toString(StandardCharsets.UTF_8));
          line.reset();
        } else {
          int n = (int) Math.min(end - i, outLeft > 0 ? outLeft : errLeft);
          if (outLeft > 0) {
            out.write(b, i, n);
            outLeft -= n;
          } else {
            err.write(b, i, n);
            errLeft -= n;
          }
          i += n;
        }
        if (outLeft == 0 && errLeft == 0) {
          outLeft = -1;
          complete(
              new SshConnection.Result(
                  exit,
                  out.toString(StandardCharsets.UTF_8),
                  err.toString(StandardCharsets.UTF_8)));
        }
      }
    }

    private void header(String text) {
      if (!ready) {
        if (text.equals(READY)) {
          ready = true;
          complete(null);
        } else {
          fail(new IOException("the node's shell did not start: " + text));
        }
        return;
      }
      String[] f = text.startsWith(RC) ? text.substring(RC.length()).trim().split(" +") : null;
      try {
        if (f == null || f.length != 3 || pending == null) {
          throw new NumberFormatException();
        }
        exit = Integer.parseInt(f[0]);
        outLeft = Long.parseLong(f[1]);
        errLeft = Long.parseLong(f[2]);
        out = new ByteArrayOutputStream((int) Math.min(outLeft, 1 << 20));
        err = new ByteArrayOutputStream((int) Math.min(errLeft, 1 << 20));
      } catch (NumberFormatException e) {
        outLeft = -1;
        fail(new IOException("the node's shell printed unexpected output: " + text));
      }
    }

    private void complete(SshConnection.Result r) {
      if (pending != null) {
        pending.complete(r);
        pending = null;
      }
    }
  }
}

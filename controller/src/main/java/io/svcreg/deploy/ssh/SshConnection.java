package io.svcreg.deploy.ssh;

import io.svcreg.deploy.DeployReasons;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.LongConsumer;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.future.ConnectFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.client.session.ClientSession.ClientSessionEvent;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.kex.KeyExchangeFactory;
import org.apache.sshd.common.keyprovider.FileKeyPairProvider;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.signature.Signature;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;

/**
 * One node's SSH connection (Apache MINA SSHD client): a single authenticated session reused by
 * every command and upload, opened on first use and again after it was lost; keep-alive requests
 * every {@code keepAlive} detect a dead peer. Scripts run on shells kept open on the node ({@link
 * NodeShell}) and uploads on a kept SFTP client ({@link ChannelPool}). The host key must be in the
 * node's known hosts file ({@link KnownHosts}); the client authenticates with the keys of the
 * user's SSH agent, when one is given ({@link UnixSocketAgent}), and with the node's identity file,
 * when it exists.
 */
final class SshConnection implements AutoCloseable {

  /** The output and exit code of a remote command. */
  record Result(int exit, String out, String err) {}

  /** The node could not be reached, refused us, or the connection broke. */
  static final class Unreachable extends IOException {
    private static final long serialVersionUID = 1L;
    private final String reason;

    Unreachable(String reason, String message, Throwable cause) {
      super(message, cause);
      this.reason = reason;
    }

    /** {@link DeployReasons#NODE_UNREACHABLE}, {@link DeployReasons#HOST_KEY_REFUSED} or ... */
    String reason() {
      return reason;
    }
  }

  private static final Logger LOG = System.getLogger(SshConnection.class.getName());

  /** Shells kept open per node between scripts: the actions that ran at the same time, at most. */
  private static final int IDLE_SHELLS = 4;

  /** SFTP clients kept open per node between uploads. */
  private static final int IDLE_SFTP = 1;

  /**
   * How long a kept shell or SFTP client is used: a shell keeps the environment of its start (the
   * user's rc files), so a change to them reaches the scripts within this time.
   */
  static final Duration KEPT_AT_MOST = Duration.ofMinutes(10);

  private static final List<String> FAST_KEX =
      List.of("mlkem768x25519-sha256", "curve25519-sha256", "curve25519-sha256@libssh.org");

  private final SshTarget target;
  private final Duration connectTimeout;
  private final SshClient client;
  private final KnownHosts knownHosts;
  private final List<NamedFactory<Signature>> hostKeyAlgorithms;
  private final Optional<Path> agent;
  private ClientSession session;
  private CompletableFuture<Void> opening;
  // shells (NodeShell) and SFTP clients of the current session, kept between actions
  private final ChannelPool<NodeShell> shells;
  private final ChannelPool<SftpClient> sftps;

  SshConnection(
      SshTarget target, Duration connectTimeout, Duration keepAlive, Optional<Path> agent) {
    this.target = target;
    this.connectTimeout = connectTimeout;
    this.agent = agent;
    this.knownHosts = new KnownHosts(target.knownHosts(), target.host(), target.port());
    this.shells =
        new ChannelPool<>(
            "shell-" + target.node(),
            IDLE_SHELLS,
            KEPT_AT_MOST,
            NodeShell::open,
            NodeShell::isOpen,
            NodeShell::close);
    this.sftps =
        new ChannelPool<>(
            "sftp-" + target.node(),
            IDLE_SFTP,
            KEPT_AT_MOST,
            SshConnection::openSftp,
            SftpClient::isOpen,
            SshConnection::closeQuietly);
    this.client = SshClient.setUpDefaultClient();
    this.hostKeyAlgorithms = List.copyOf(client.getSignatureFactories());
    client.setServerKeyVerifier(knownHosts);
    // the agent's keys are offered first, then the identity file's (when there is one)
    KeyIdentityProvider file = new FileKeyPairProvider(target.identityFile());
    Path identity = target.identityFile();
    client.setKeyIdentityProvider(
        ctx -> {
          if (!Files.isReadable(identity)) {
            return List.of();
          }
          try {
            List<KeyPair> keys = new ArrayList<>();
            file.loadKeys(ctx).forEach(keys::add); // read now: a bad file fails here
            return keys;
          } catch (IOException | GeneralSecurityException | RuntimeException e) {
            if (agent.isEmpty()) {
              throw e;
            }
            // e.g. a key with a passphrase, held unlocked by the agent
            LOG.log(
                Level.DEBUG,
                "cannot read {0}: {1}; using the agent's keys",
                identity,
                e.getMessage());
            return List.of();
          }
        });
    agent.ifPresent(socket -> client.setAgentFactory(UnixSocketAgent.factory(socket)));
    client.setHostConfigEntryResolver(
        org.apache.sshd.client.config.hosts.HostConfigEntryResolver.EMPTY);
    // the cipher this JVM runs fastest first (CipherOrder), and the key exchanges the JDK runs
    // fast (ML-KEM and X25519) first; MINA's defaults start with sntrup761
    client.setCipherFactoriesNames(CipherOrder.forThisJvm());
    List<KeyExchangeFactory> kex = new ArrayList<>(client.getKeyExchangeFactories());
    kex.sort(Comparator.comparingInt(f -> fastFirst(f.getName())));
    client.setKeyExchangeFactories(kex);
    CoreModuleProperties.HEARTBEAT_INTERVAL.set(client, keepAlive);
    CoreModuleProperties.HEARTBEAT_REPLY_WAIT.set(client, keepAlive);
    CoreModuleProperties.HEARTBEAT_NO_REPLY_MAX.set(client, 3);
    client.start();
  }

  /** Where this connection goes. */
  SshTarget target() {
    return target;
  }

  /**
   * Starts connecting and logging in on a background thread, so that it overlaps with work on this
   * host; the next use of the connection waits for it and reports its failure.
   */
  void openInBackground() {
    CompletableFuture<Void> f = new CompletableFuture<>();
    synchronized (this) {
      if (opening != null || (session != null && session.isOpen() && session.isAuthenticated())) {
        return;
      }
      opening = f;
    }
    Thread.ofVirtual()
        .name("ssh-connect-" + target.node())
        .start(
            () -> {
              try {
                ClientSession s = open();
                // the first script and upload need not wait for the node to start them
                shells.warm(s, connectTimeout);
                sftps.warm(s, connectTimeout);
                f.complete(null);
              } catch (Unreachable | RuntimeException e) {
                f.completeExceptionally(e);
              }
            });
  }

  /** The open session, connected and logged in now when there is none. */
  ClientSession session() throws Unreachable {
    CompletableFuture<Void> f;
    synchronized (this) {
      f = opening;
      opening = null;
    }
    if (f != null) {
      try {
        f.join();
      } catch (CompletionException e) {
        if (e.getCause() instanceof Unreachable u) {
          throw u;
        }
      }
    }
    return open();
  }

  private synchronized ClientSession open() throws Unreachable {
    if (session != null && session.isOpen() && session.isAuthenticated()) {
      return session;
    }
    closeSession();
    String where = target.describe();
    if (!Files.isReadable(target.identityFile()) && agent.isEmpty()) {
      throw new Unreachable(
          DeployReasons.AUTH_FAILED,
          "cannot log in to "
              + where
              + ": the identity file "
              + target.identityFile()
              + " is missing or unreadable, and there is no SSH agent (set ssh.identityFile of"
              + " the node, or start the controller with SSH_AUTH_SOCK)",
          null);
    }
    client.setSignatureFactories(
        KnownHosts.knownTypesFirst(
            hostKeyAlgorithms, target.knownHosts(), target.host(), target.port()));
    ClientSession s = null;
    try {
      ConnectFuture f = client.connect(target.user(), target.host(), target.port());
      if (!f.await(connectTimeout)) {
        f.cancel();
        throw new Unreachable(
            DeployReasons.NODE_UNREACHABLE,
            "cannot connect to "
                + where
                + ": no answer within "
                + connectTimeout.toSeconds()
                + " s",
            null);
      }
      if (f.getException() != null) {
        throw new Unreachable(
            DeployReasons.NODE_UNREACHABLE,
            "cannot connect to " + where + ": " + rootMessage(f.getException()),
            f.getException());
      }
      s = f.getSession();
      try {
        s.auth().verify(connectTimeout);
      } catch (IOException e) {
        if (s.getServerVersion() == null && knownHosts.refusal().isEmpty()) {
          throw new Unreachable(
              DeployReasons.NODE_UNREACHABLE,
              "cannot connect to "
                  + where
                  + ": no SSH answer within "
                  + connectTimeout.toSeconds()
                  + " s (is an SSH server listening there?)",
              e);
        }
        if (knownHosts.refusal().isPresent()) {
          throw new Unreachable(
              DeployReasons.HOST_KEY_REFUSED,
              "refused to log in to " + where + ": " + knownHosts.refusal().get(),
              e);
        }
        throw new Unreachable(
            DeployReasons.AUTH_FAILED,
            "cannot log in to "
                + where
                + " as "
                + target.user()
                + " with "
                + keys()
                + ": "
                + rootMessage(e)
                + " (is its public key in ~"
                + target.user()
                + "/.ssh/authorized_keys on the node?)",
            e);
      }
      session = s;
      shells.use(s);
      sftps.use(s);
      s = null;
      return session;
    } catch (IOException e) {
      if (e instanceof Unreachable u) {
        throw u;
      }
      if (knownHosts.refusal().isPresent()) {
        throw new Unreachable(
            DeployReasons.HOST_KEY_REFUSED,
            "refused to log in to " + where + ": " + knownHosts.refusal().get(),
            e);
      }
      throw new Unreachable(
          DeployReasons.NODE_UNREACHABLE, "cannot connect to " + where + ": " + rootMessage(e), e);
    } finally {
      if (s != null) {
        s.close(true);
      }
    }
  }

  /**
   * Runs {@code script} with {@code sh} on one of the node's kept shells ({@link NodeShell}), with
   * stdin from {@code /dev/null}; gives up after {@code timeout} (the script may keep running: wrap
   * what may hang in {@code timeout}), closing that shell.
   */
  Result script(String script, Duration timeout) throws IOException {
    if (!NodeShell.fits(script)) {
      return scriptOnItsOwn(script, timeout);
    }
    ClientSession s = session();
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      return shells.with(
          s,
          timeout,
          shell -> shell.run(script, Duration.ofNanos(Math.max(0, deadline - System.nanoTime()))));
    } catch (NodeShell.Timeout | ChannelPool.OpenTimeout e) {
      if (!s.isOpen()) {
        throw lost(null);
      }
      throw timeout(timeout);
    } catch (IOException e) {
      if (closed(s)) {
        throw lost(e);
      }
      throw e;
    }
  }

  /** {@link #script} on an exec channel of its own ({@code sh -s}, the script on its stdin). */
  private Result scriptOnItsOwn(String script, Duration timeout) throws IOException {
    ClientSession s = session();
    try (ChannelExec ch = s.createExecChannel("sh -s")) {
      ch.setIn(new ByteArrayInputStream(script.getBytes(StandardCharsets.UTF_8)));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      ch.setOut(out);
      ch.setErr(err);
      ch.open().verify(timeout);
      Set<ClientChannelEvent> ev =
          ch.waitFor(
              EnumSet.of(ClientChannelEvent.CLOSED, ClientChannelEvent.EXIT_STATUS), timeout);
      if (!ev.contains(ClientChannelEvent.EXIT_STATUS)) {
        if (!s.isOpen()) {
          throw lost(null);
        }
        throw timeout(timeout);
      }
      ch.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), Duration.ofSeconds(5));
      Integer code = ch.getExitStatus();
      return new Result(
          code == null ? -1 : code,
          out.toString(StandardCharsets.UTF_8),
          err.toString(StandardCharsets.UTF_8));
    } catch (Timeout | Unreachable e) {
      throw e;
    } catch (IOException e) {
      if (closed(s)) {
        throw lost(e);
      }
      throw e;
    }
  }

  private Timeout timeout(Duration timeout) {
    return new Timeout(
        "a command on "
            + target.describe()
            + " did not finish within "
            + timeout.toSeconds()
            + " s");
  }

  /**
   * Whether {@code s} is closed or closing, after an I/O error on one of its channels: a peer that
   * dropped the connection fails the channel first and the session a moment later, so this waits
   * for that moment (bounded) before calling the error the channel's own.
   */
  private static boolean closed(ClientSession s) {
    if (!s.isOpen() || s.isClosing()) {
      return true;
    }
    Set<ClientSessionEvent> ev =
        s.waitFor(EnumSet.of(ClientSessionEvent.CLOSED), Duration.ofSeconds(1));
    return ev.contains(ClientSessionEvent.CLOSED) || !s.isOpen() || s.isClosing();
  }

  /** A remote command that did not end in time. */
  static final class Timeout extends IOException {
    private static final long serialVersionUID = 1L;

    Timeout(String message) {
      super(message);
    }
  }

  /**
   * Copies {@code local} to {@code remote} over SFTP, reporting the bytes written so far to {@code
   * sent}. Writes go in 64 KiB requests: OpenSSH's sftp-server drops the channel on messages over
   * 256 KiB.
   */
  void upload(Path local, String remote, LongConsumer sent) throws IOException {
    ClientSession s = session();
    try {
      sftps.with(
          s,
          connectTimeout,
          sftp -> {
            try (InputStream in = Files.newInputStream(local);
                OutputStream out = sftp.write(remote, 64 * 1024)) {
              byte[] buf = new byte[256 * 1024];
              long total = 0;
              int n;
              while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                total += n;
                sent.accept(total);
              }
            }
            return null;
          });
    } catch (IOException e) {
      if (closed(s)) {
        throw lost(e);
      }
      throw e;
    }
  }

  private static SftpClient openSftp(ClientSession s, Duration timeout) throws IOException {
    // MINA waits for the subsystem's version with the session's own timeout
    return SftpClientFactory.instance().createSftpClient(s);
  }

  private static void closeQuietly(SftpClient sftp) {
    try {
      sftp.close();
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "cannot close an SFTP client: {0}", e.getMessage());
    }
  }

  /** The keys offered, for messages: the identity file and the agent. */
  private String keys() {
    boolean file = Files.isReadable(target.identityFile());
    String a = agent.map(p -> "the keys of the SSH agent at " + p).orElse("");
    if (!file) {
      return a;
    }
    return a.isEmpty() ? target.identityFile().toString() : target.identityFile() + " or " + a;
  }

  private static int fastFirst(String kex) {
    int i = FAST_KEX.indexOf(kex);
    return i < 0 ? FAST_KEX.size() : i;
  }

  private Unreachable lost(Exception cause) {
    synchronized (this) {
      closeSession();
    }
    return new Unreachable(
        DeployReasons.CONNECTION_LOST,
        "the connection to "
            + target.describe()
            + " was lost"
            + (cause == null ? "" : ": " + rootMessage(cause)),
        cause);
  }

  private void closeSession() {
    shells.clear();
    sftps.clear();
    if (session != null) {
      session.close(true);
      session = null;
    }
  }

  /** The innermost message of a chain of exceptions. */
  static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    String m = c.getMessage();
    return m == null || m.isBlank() ? c.getClass().getSimpleName() : m;
  }

  @Override
  public synchronized void close() {
    closeSession();
    try {
      client.stop();
    } catch (RuntimeException e) {
      // closing anyway
    }
  }
}

package io.svcreg.deploy.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.deploy.DeployReasons;
import io.svcreg.deploy.DeployTimeouts;
import io.svcreg.deploy.InstallOutcome;
import io.svcreg.deploy.TestPackages;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.keyprovider.FileKeyPairProvider;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.server.command.CommandFactory;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.apache.sshd.server.session.ServerSession;
import org.apache.sshd.server.shell.ProcessShellCommandFactory;
import org.apache.sshd.sftp.server.FileHandle;
import org.apache.sshd.sftp.server.SftpEventListener;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults of remote nodes, each ending in a definite outcome with nothing half-installed: a full
 * disk (a 2 MiB tmpfs as a real sshd node's install root), a connection dropped in the middle of an
 * upload and a node whose commands hang (Apache MINA's embedded server), a port that accepts but
 * never speaks SSH.
 */
class SshFaultsIT {

  private static final String USER = System.getProperty("user.name");
  private static final DeployTimeouts FAST =
      new DeployTimeouts(
          Duration.ofMillis(300),
          Duration.ofSeconds(2),
          Duration.ofSeconds(2),
          Duration.ofSeconds(2));

  @TempDir Path tmp;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
  }

  private SshDeployer deployer(SshTarget t, Duration command) {
    SshDeployer d =
        new SshDeployer(
            t,
            FAST,
            InstantSource.system(),
            new SshDeployer.Options(Duration.ofSeconds(2), Duration.ofSeconds(5), command));
    closing.add(d);
    return d;
  }

  private Path pkg(String name, String version, int randomBytes) throws IOException {
    Path dir = tmp.resolve("pkg-" + name + "-" + version);
    TestPackages.directory(dir, name, "exec sleep 300", "true", null);
    if (randomBytes > 0) {
      byte[] b = new byte[randomBytes];
      new Random(7).nextBytes(b);
      Files.createDirectories(dir.resolve("bin"));
      Files.write(dir.resolve("bin/blob"), b);
    }
    return dir;
  }

  private static List<String> names(Path dir) throws IOException {
    return Files.isDirectory(dir) ? TestPackages.names(dir) : List.of();
  }

  @Test
  void install_installRootFull_failsSaysFullAndLeavesNothing() throws Exception {
    OpenSshd sshd = OpenSshd.start("127.0.0.4", tmp.resolve("node"), tmp.resolve("id")).trusted();
    closing.add(sshd);
    Path root = Files.createDirectories(tmp.resolve("full"));
    run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", root.toString());
    closing.add(() -> run("umount", "-l", root.toString()));
    SshTarget t =
        new SshTarget(
            "small", sshd.host, sshd.port, USER, sshd.clientKey, sshd.knownHosts, root.toString());
    SshDeployer d = deployer(t, Duration.ofSeconds(30));

    InstallOutcome out = d.install("big", "1", pkg("big", "1", 3 * 1024 * 1024));

    assertThat(out).isInstanceOf(InstallOutcome.Failed.class);
    InstallOutcome.Failed f = (InstallOutcome.Failed) out;
    assertThat(f.reason()).isEqualTo(DeployReasons.INSTALL_FAILED);
    assertThat(f.message()).contains("cannot install big 1 on node small").contains(" KiB free");
    assertThat(names(root)).isEmpty();
    // the space is free again: a small package installs
    assertThat(d.install("tiny", "1", pkg("tiny", "1", 0)))
        .isInstanceOf(InstallOutcome.Installed.class);
    assertThat(names(root)).containsExactly("tiny-1");
  }

  /** An embedded server running commands with the local shell; SFTP into the real file system. */
  private final class Embedded {
    final SshServer server = SshServer.setUpDefaultServer();
    final Path known;
    final Path key;
    final AtomicBoolean dropUploads = new AtomicBoolean();
    final AtomicBoolean corruptUploads = new AtomicBoolean();

    Embedded(CommandFactory commands) throws Exception {
      Path dir = Files.createTempDirectory(tmp, "embedded");
      known = dir.resolve("known_hosts");
      key = dir.resolve("id");
      OpenSshd.keygen(key);
      KeyPair client = new FileKeyPairProvider(key).loadKeys(null).iterator().next();
      server.setHost("127.0.0.5");
      server.setPort(0);
      server.setKeyPairProvider(new SimpleGeneratorHostKeyProvider(dir.resolve("host")));
      server.setPublickeyAuthenticator(
          (user, k, session) -> KeyUtils.compareKeys(k, client.getPublic()));
      server.setCommandFactory(commands);
      SftpSubsystemFactory sftp = new SftpSubsystemFactory();
      AtomicLong written = new AtomicLong();
      sftp.addSftpEventListener(
          new SftpEventListener() {
            @Override
            public void writing(
                ServerSession session,
                String remoteHandle,
                FileHandle localHandle,
                long offset,
                byte[] data,
                int dataOffset,
                int dataLen) {
              if (dropUploads.get() && written.addAndGet(dataLen) > 256 * 1024) {
                session.close(true);
              }
              if (corruptUploads.get() && offset == 0 && dataLen > 100) {
                data[dataOffset + 100] ^= 1; // one bit of the archive flipped on the way
              }
            }
          });
      server.setSubsystemFactories(List.of(sftp));
      server.start();
      closing.add(server::stop);
      PublicKey host = server.getKeyPairProvider().loadKeys(null).iterator().next().getPublic();
      Files.writeString(
          known, "[127.0.0.5]:" + server.getPort() + " " + PublicKeyEntry.toString(host) + "\n");
    }

    SshTarget target(Path root) {
      return new SshTarget(
          "embedded", "127.0.0.5", server.getPort(), USER, key, known, root.toString());
    }
  }

  @Test
  void install_connectionDroppedMidUpload_connectionLostThenReconnectsAndInstalls()
      throws Exception {
    Embedded node = new Embedded(ProcessShellCommandFactory.INSTANCE);
    Path root = tmp.resolve("opt");
    SshDeployer d = deployer(node.target(root), Duration.ofSeconds(30));
    Path big = pkg("app", "1", 2 * 1024 * 1024);
    node.dropUploads.set(true);

    InstallOutcome out = d.install("app", "1", big);

    assertThat(out).isInstanceOf(InstallOutcome.Failed.class);
    InstallOutcome.Failed f = (InstallOutcome.Failed) out;
    assertThat(f.reason()).isEqualTo(DeployReasons.CONNECTION_LOST);
    assertThat(f.message()).contains("connection to node embedded").contains("was lost");
    assertThat(names(root)).noneMatch(n -> n.equals("app-1"));

    node.dropUploads.set(false);
    InstallOutcome retry = d.install("app", "1", big);
    assertThat(retry).isInstanceOf(InstallOutcome.Installed.class);
    assertThat(names(root)).containsExactly("app-1"); // the first try's leftovers are gone
    assertThat(Files.size(root.resolve("app-1/bin/blob"))).isEqualTo(2 * 1024 * 1024);
  }

  @Test
  void install_uploadCorrupted_checksumMismatchAndNothingInstalled() throws Exception {
    Embedded node = new Embedded(ProcessShellCommandFactory.INSTANCE);
    Path root = tmp.resolve("opt");
    SshDeployer d = deployer(node.target(root), Duration.ofSeconds(30));
    Path pkg = pkg("app", "1", 512 * 1024);
    node.corruptUploads.set(true);

    InstallOutcome out = d.install("app", "1", pkg);

    assertThat(out).isInstanceOf(InstallOutcome.Failed.class);
    InstallOutcome.Failed f = (InstallOutcome.Failed) out;
    assertThat(f.reason()).isEqualTo(DeployReasons.CHECKSUM_MISMATCH);
    assertThat(f.message())
        .contains("cannot install app 1 on node embedded")
        .contains("SHA-256 does not match");
    assertThat(names(root)).isEmpty();

    node.corruptUploads.set(false);
    assertThat(d.install("app", "1", pkg)).isInstanceOf(InstallOutcome.Installed.class);
    assertThat(names(root)).containsExactly("app-1");
  }

  @Test
  void install_extractionFails_installFailedNotChecksum() throws Exception {
    // the node's tar stops early (a tar that reads a little and fails as on a full disk): the
    // upload's checksum is still right, so the reason is the install, with tar's message
    Path bin = Files.createDirectories(tmp.resolve("fake-bin"));
    Files.writeString(
        bin.resolve("tar"),
        "#!/bin/sh\nhead -c 10 >/dev/null\necho 'tar: No space left on device' >&2\nexit 2\n");
    bin.resolve("tar").toFile().setExecutable(true);
    String path = bin + ":" + System.getenv("PATH");
    Embedded node =
        new Embedded(
            (channel, command) ->
                ProcessShellCommandFactory.INSTANCE.createCommand(
                    channel, "env PATH=" + path + " " + command));
    Path root = tmp.resolve("opt");
    SshDeployer d = deployer(node.target(root), Duration.ofSeconds(30));

    InstallOutcome out = d.install("app", "1", pkg("app", "1", 512 * 1024));

    assertThat(out).isInstanceOf(InstallOutcome.Failed.class);
    InstallOutcome.Failed f = (InstallOutcome.Failed) out;
    assertThat(f.reason()).isEqualTo(DeployReasons.INSTALL_FAILED);
    assertThat(f.message()).contains("No space left on device");
    assertThat(names(root)).isEmpty();
  }

  @Test
  void install_nodeCommandsHang_nodeTimeoutWithoutHoldingUpOtherNodes() throws Exception {
    Embedded hanging = new Embedded((channel, command) -> new Hang());
    SshDeployer stuck = deployer(hanging.target(tmp.resolve("stuck")), Duration.ofSeconds(20));
    CompletableFuture<InstallOutcome> slow =
        CompletableFuture.supplyAsync(() -> stuck.install("app", "1", pkgQuietly("app", "1")));

    Embedded healthy = new Embedded(ProcessShellCommandFactory.INSTANCE);
    Path root = tmp.resolve("healthy");
    InstallOutcome other =
        deployer(healthy.target(root), Duration.ofSeconds(20))
            .install("web", "1", pkg("web", "1", 0));
    assertThat(other).isInstanceOf(InstallOutcome.Installed.class);
    assertThat(slow).as("the hanging node is still waiting").isNotDone();

    InstallOutcome out = slow.get();
    assertThat(out).isInstanceOf(InstallOutcome.Failed.class);
    assertThat(((InstallOutcome.Failed) out).reason()).isEqualTo(DeployReasons.NODE_TIMEOUT);
    assertThat(((InstallOutcome.Failed) out).message()).contains("did not finish within 20 s");
    assertThat(names(tmp.resolve("stuck"))).isEmpty();
  }

  @Test
  void connect_portAcceptsButNeverSpeaksSsh_nodeUnreachable() throws Exception {
    ServerSocket silent = new ServerSocket();
    silent.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.5"), 0));
    List<Socket> accepted = new ArrayList<>();
    Thread acceptor =
        Thread.ofVirtual()
            .start(
                () -> {
                  try {
                    while (true) {
                      accepted.add(silent.accept());
                    }
                  } catch (IOException e) {
                    // closed
                  }
                });
    closing.add(
        () -> {
          silent.close();
          acceptor.join();
          for (Socket s : accepted) {
            s.close();
          }
        });
    SshTarget t =
        new SshTarget(
            "mute",
            "127.0.0.5",
            silent.getLocalPort(),
            USER,
            tmp.resolve("nokey"),
            tmp.resolve("known"),
            tmp.resolve("opt").toString());
    Files.writeString(tmp.resolve("nokey"), "not a key");
    InstallOutcome out = deployer(t, Duration.ofSeconds(5)).install("a", "1", pkg("a", "1", 0));
    assertThat(out).isInstanceOf(InstallOutcome.Failed.class);
    assertThat(((InstallOutcome.Failed) out).reason()).isEqualTo(DeployReasons.NODE_UNREACHABLE);
    assertThat(((InstallOutcome.Failed) out).message()).contains("no SSH answer within 2 s");
  }

  private Path pkgQuietly(String name, String version) {
    try {
      return pkg(name, version, 0);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A remote command that never ends. */
  private static final class Hang implements Command {
    @Override
    public void setInputStream(java.io.InputStream in) {}

    @Override
    public void setOutputStream(java.io.OutputStream out) {}

    @Override
    public void setErrorStream(java.io.OutputStream err) {}

    @Override
    public void setExitCallback(org.apache.sshd.server.ExitCallback callback) {}

    @Override
    public void start(ChannelSession channel, org.apache.sshd.server.Environment env) {}

    @Override
    public void destroy(ChannelSession channel) {}
  }

  private static void run(String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      if (p.waitFor() != 0) {
        throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}

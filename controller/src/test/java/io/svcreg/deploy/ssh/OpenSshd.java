package io.svcreg.deploy.ssh;

import io.svcreg.Waits;
import io.svcreg.deploy.TestPackages;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenSSH {@code sshd} for tests, standing in for a remote node: its own config, host key,
 * authorized key and pid file in a temporary directory, listening on a free port of a loopback
 * address, never touching the system's sshd. The client's key pair is made with {@code ssh-keygen}
 * too (OpenSSH format, ed25519).
 */
public final class OpenSshd implements AutoCloseable {

  /** The OpenSSH server binary. */
  public static final Path SSHD = Path.of("/usr/sbin/sshd");

  public final String host;
  public final int port;
  public final Path dir;
  public final Path hostKey;
  public final Path clientKey;
  public final Path knownHosts;
  private final Process process;
  private final List<String> prefix;

  private OpenSshd(
      List<String> prefix,
      String host,
      int port,
      Path dir,
      Path hostKey,
      Path clientKey,
      Process p) {
    this.prefix = List.copyOf(prefix);
    this.host = host;
    this.port = port;
    this.dir = dir;
    this.hostKey = hostKey;
    this.clientKey = clientKey;
    this.knownHosts = dir.resolve("known_hosts");
    this.process = p;
  }

  /**
   * Starts sshd on {@code host} (a 127.0.0.x address) with its files in {@code dir}; the client key
   * {@code clientKey} (made when absent) is authorized.
   */
  public static OpenSshd start(String host, Path dir, Path clientKey) {
    return start(List.of(), host, TestPackages.freePort(host), dir, clientKey);
  }

  /**
   * Starts sshd on port 22 of {@code host}, an address of network namespace {@code netns}, run in
   * that namespace (a node with a network stack of its own).
   */
  public static OpenSshd startIn(String netns, String host, Path dir, Path clientKey) {
    return start(List.of("ip", "netns", "exec", netns), host, 22, dir, clientKey);
  }

  private static OpenSshd start(
      List<String> prefix, String host, int port, Path dir, Path clientKey) {
    try {
      Files.createDirectories(dir);
      Files.createDirectories(Path.of("/run/sshd"));
      Path hostKey = dir.resolve("host_ed25519");
      keygen(hostKey);
      if (!Files.exists(clientKey)) {
        keygen(clientKey);
      }
      Files.copy(
          Path.of(clientKey + ".pub"),
          dir.resolve("authorized_keys"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Path config = dir.resolve("sshd_config");
      Files.writeString(
          config,
          String.join(
              "\n",
              "Port " + port,
              "ListenAddress " + host,
              "HostKey " + hostKey,
              "PidFile " + dir.resolve("sshd.pid"),
              "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
              "PubkeyAuthentication yes",
              "PasswordAuthentication no",
              "KbdInteractiveAuthentication no",
              "PermitRootLogin prohibit-password",
              "UsePAM no",
              "StrictModes no",
              "MaxStartups 50",
              "MaxSessions 50",
              "LogLevel ERROR",
              "Subsystem sftp /usr/lib/openssh/sftp-server",
              ""));
      return launch(prefix, host, port, dir, hostKey, clientKey, "did not start");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts this server again after {@link #stop}, with the same host key, port and authorized key,
   * as a node that came back.
   */
  public OpenSshd restarted() {
    try {
      return launch(prefix, host, port, dir, hostKey, clientKey, "did not start again");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs sshd with the config in {@code dir} (log appended) and waits until it accepts. */
  private static OpenSshd launch(
      List<String> prefix,
      String host,
      int port,
      Path dir,
      Path hostKey,
      Path clientKey,
      String failure)
      throws IOException {
    List<String> cmd = new java.util.ArrayList<>(prefix);
    cmd.addAll(List.of(SSHD.toString(), "-D", "-e", "-f", dir.resolve("sshd_config").toString()));
    Process p =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("sshd.log").toFile()))
            .start();
    OpenSshd d = new OpenSshd(prefix, host, port, dir, hostKey, clientKey, p);
    Waits.atMost(Duration.ofSeconds(20)).until(() -> !p.isAlive() || d.accepts());
    if (!p.isAlive()) {
      throw new IllegalStateException(
          "sshd on "
              + host
              + ":"
              + port
              + " "
              + failure
              + ": "
              + Files.readString(dir.resolve("sshd.log")));
    }
    return d;
  }

  private boolean accepts() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Writes this server's host key into {@link #knownHosts} as OpenSSH would after accepting it. */
  public OpenSshd trusted() {
    try {
      String pub = Files.readString(Path.of(hostKey + ".pub")).trim();
      String[] f = pub.split(" ");
      Files.writeString(knownHosts, "[" + host + "]:" + port + " " + f[0] + " " + f[1] + "\n");
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A {@code lan} network {@code network} on 127.0.0.0/24 whose one node, {@code node-0}, is this
   * server, reached as {@code user}, installing into {@code installRoot}: spec YAML.
   */
  public String lanNetwork(String network, String user, Path installRoot) {
    return "apiVersion: svcreg.io/v1\nkind: Network\nmetadata: {name: "
        + network
        + "}\nspec:\n"
        + "  type: lan\n  subnet: 127.0.0.0/24\n  reserved: [127.0.0.1]\n  nodes:\n"
        + "    - name: node-0\n      address: "
        + host
        + "\n      ssh: {user: "
        + user
        + ", port: "
        + port
        + ", identityFile: "
        + clientKey
        + ", knownHosts: "
        + knownHosts
        + "}\n      installRoot: "
        + installRoot
        + "\n";
  }

  /** The SHA256 fingerprint of the host key, as {@code ssh-keygen -l} prints it. */
  public String fingerprint() {
    String out = run(List.of("ssh-keygen", "-l", "-E", "sha256", "-f", hostKey + ".pub"));
    return out.split(" ")[1];
  }

  /** Makes an ed25519 key pair without a passphrase at {@code file}. */
  public static void keygen(Path file) {
    run(
        List.of(
            "ssh-keygen",
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "svcreg-test",
            "-f",
            file.toString()));
  }

  private static String run(List<String> cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out =
          new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(cmd + " failed: " + out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The processes the server started for its connections (session processes, their commands). */
  public java.util.stream.Stream<ProcessHandle> descendants() {
    return process.descendants();
  }

  /** Stops the server and cuts its open connections, as a node that went down would. */
  public void stop() {
    process.children().forEach(ProcessHandle::destroy);
    close();
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package io.svcreg.api;

import io.svcreg.core.SvcregException;
import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * The API on a Unix-domain socket, without TLS and without tokens: who may connect is decided by
 * the socket file's owner, group and mode. svcreg accepts the connections itself, reads the peer's
 * credentials ({@code SO_PEERCRED}), and relays each connection to the API's Helidon listener on a
 * socket in a private directory ({@code .NAME.svcreg/}, mode 0700, next to the socket). The relay
 * binds its side of each connection to a name of its own, which Helidon reports as the request's
 * remote address: so a request is matched with its peer's credentials.
 */
public final class UnixSocket implements AutoCloseable {

  private static final Logger LOG = System.getLogger(UnixSocket.class.getName());

  /** The longest socket path Linux takes (sun_path is 108 bytes with its terminating NUL). */
  static final int MAX_PATH_BYTES = 107;

  /**
   * Where the socket is, its mode, and the role of whoever connects.
   *
   * @param path the socket file
   * @param mode its permission bits (e.g. {@code 0660}); never writable by others
   * @param role what a connected process may do
   */
  public record Options(Path path, int mode, Role role) {

    /** The options of {@code serve --unix-socket PATH --unix-socket-mode MODE ...-role ROLE}. */
    public static Options parse(Path path, String mode, String role) {
      if (!mode.matches("0?[0-7]{3}")) {
        throw new SvcregException(
            "--unix-socket-mode " + mode + ": expected octal permission bits like 0660 or 0600");
      }
      int bits = Integer.parseInt(mode, 8);
      if ((bits & 0600) != 0600) {
        throw new SvcregException(
            "--unix-socket-mode "
                + mode
                + ": the owner needs read and write (06xx), or svcreg's own user cannot connect");
      }
      if ((bits & 0002) != 0) {
        throw new SvcregException(
            "--unix-socket-mode "
                + mode
                + ": a socket writable by every user would let anyone change the registry; use"
                + " 0660 and the group, or 0600");
      }
      Role r =
          switch (role) {
            case "admin" -> Role.ADMIN;
            case "read" -> Role.READ;
            default ->
                throw new SvcregException(
                    "--unix-socket-role " + role + ": expected read or admin");
          };
      return new Options(path.toAbsolutePath().normalize(), bits, r);
    }
  }

  /**
   * The credentials of a connected process, from {@code SO_PEERCRED}: its user's and group's names
   * (the JDK's {@code jdk.net} option), and its process, user and group ids when they could be read
   * ({@link PeerCredentials}: JDK 22 and newer, with svcreg's JVM options).
   */
  public record Peer(String user, String group, Optional<PeerCredentials.Ucred> ids) {

    /** The process id, when known. */
    public OptionalLong pid() {
      return ids.filter(i -> i.pid() > 0)
          .map(i -> OptionalLong.of(i.pid()))
          .orElse(OptionalLong.empty());
    }

    @Override
    public String toString() {
      if (pid().isEmpty()) {
        return "user " + user + " group " + group;
      }
      PeerCredentials.Ucred i = ids.get();
      return "pid " + i.pid() + " uid " + i.uid() + " (" + user + ") gid " + i.gid() + " (" + group
          + ")";
    }
  }

  private final Options options;
  private final Path dir;
  private final Path inner;
  private final Map<String, Peer> peers = new ConcurrentHashMap<>();
  private final Set<SocketChannel> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong ids = new AtomicLong();
  private final Thread acceptor;
  private ServerSocketChannel front;
  private Object fileKey;
  private Runnable stopInner = () -> {};
  private final AtomicBoolean closed = new AtomicBoolean();
  private final PeerCredentials credentials;

  private UnixSocket(Options options, Path dir) {
    this.options = options;
    this.dir = dir;
    this.credentials = PeerCredentials.load(LOG);
    this.inner = dir.resolve("api");
    this.acceptor = Thread.ofVirtual().name("svcreg-unix-accept").unstarted(this::acceptLoop);
  }

  /**
   * Checks, before anything starts, that the socket can be created at {@code options.path()}: its
   * directory exists and only its owner (svcreg's user or root) may replace files in it, the path
   * is short enough, and no live server holds it (a socket file nobody listens on, left by a killed
   * controller, is replaced). One clear line when not.
   */
  public static void check(Options options) {
    Path path = options.path();
    String where = "--unix-socket " + path;
    // the longest path used is that of a relayed connection in the private directory
    if (privateDir(path).toString().getBytes(StandardCharsets.UTF_8).length + 16 > MAX_PATH_BYTES) {
      throw new SvcregException(
          where
              + ": the path is too long for a Unix-domain socket here (at most "
              + (MAX_PATH_BYTES - 24)
              + " bytes); choose a shorter one");
    }
    Path parent = path.getParent();
    PosixFileAttributes d;
    try {
      d = Files.readAttributes(parent, PosixFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw new SvcregException(where + ": the directory " + parent + " does not exist; create it");
    } catch (IOException | UnsupportedOperationException e) {
      throw new SvcregException(where + ": cannot read the directory " + parent + ": " + e);
    }
    if (!d.isDirectory()) {
      throw new SvcregException(where + ": " + parent + " is not a directory");
    }
    String me = System.getProperty("user.name");
    String owner = d.owner().getName();
    if (!owner.equals(me) && !owner.equals("root")) {
      throw new SvcregException(
          where
              + ": the directory "
              + parent
              + " belongs to "
              + owner
              + ", who could replace the socket; use a directory of "
              + me
              + " or root");
    }
    Set<PosixFilePermission> p = d.permissions();
    boolean shared =
        p.contains(PosixFilePermission.OTHERS_WRITE) || p.contains(PosixFilePermission.GROUP_WRITE);
    if (shared && !sticky(parent)) {
      throw new SvcregException(
          where
              + ": the directory "
              + parent
              + " is writable by other users (and not sticky like /tmp), who could replace the"
              + " socket; use a directory like /run/svcreg with mode 0755 or 2750");
    }
    Optional<PosixFileAttributes> existing = attributes(path);
    if (existing.isEmpty()) {
      return;
    }
    if (!existing.get().isOther() || existing.get().isSymbolicLink()) {
      throw new SvcregException(
          where + ": a file that is not a socket is in the way; remove it or choose another path");
    }
    if (listening(path)) {
      throw new SvcregException(
          where
              + ": a live server listens on it (another svcreg serve?); stop it or choose another"
              + " path");
    }
  }

  /**
   * Creates the socket (with its mode from the start: it is made in the private directory and
   * renamed into place, replacing a stale one) after {@code startInner} started the API's listener
   * on the private socket it is given, and relays connections to it.
   *
   * @param startInner starts the HTTP/WebSocket listener on the given path; returns how to stop it
   */
  static UnixSocket open(Options options, Listener startInner) {
    check(options);
    Path path = options.path();
    Path dir = privateDir(path);
    UnixSocket s = new UnixSocket(options, dir);
    try {
      removePrivate(dir);
      Files.createDirectory(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      s.stopInner = startInner.start(s, s.inner);
      Path fresh = dir.resolve("new");
      s.front = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      s.front.bind(UnixDomainSocketAddress.of(fresh), 1024);
      Files.setPosixFilePermissions(fresh, permissions(options.mode()));
      Files.move(fresh, path, StandardCopyOption.ATOMIC_MOVE);
      s.fileKey =
          Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
              .fileKey();
      return s;
    } catch (IOException | RuntimeException e) {
      s.close();
      if (e instanceof SvcregException x) {
        throw x;
      }
      throw new SvcregException(
          "--unix-socket " + path + ": cannot create the socket: " + e.getMessage(), e);
    }
  }

  /** Starts the API's listener for a socket on a private path; returns how to stop it. */
  @FunctionalInterface
  interface Listener {
    /** Starts listening on {@code path} for connections relayed by {@code socket}. */
    Runnable start(UnixSocket socket, Path path);
  }

  /** Starts accepting connections (once whoever serves them knows this socket). */
  void accept() {
    acceptor.start();
  }

  /** The socket file. */
  public Path path() {
    return options.path();
  }

  /** The role of whoever connects. */
  Role role() {
    return options.role();
  }

  /** The credentials of the process on the other end of a request's relayed connection. */
  Optional<Peer> peer(SocketAddress relayed) {
    if (relayed instanceof UnixDomainSocketAddress u && u.getPath().getFileName() != null) {
      return Optional.ofNullable(peers.get(u.getPath().getFileName().toString()));
    }
    return Optional.empty();
  }

  /** What a user needs to connect. */
  String describe() {
    return "svcreg API: unix socket "
        + options.path()
        + " (mode "
        + String.format("%04o", options.mode())
        + ", role "
        + options.role().wireName()
        + ", no TLS, no token): curl --unix-socket "
        + options.path()
        + " http://localhost/api/v1/health";
  }

  // ------------------------------------------------------------------ relaying

  private void acceptLoop() {
    while (!closed.get()) {
      SocketChannel c;
      try {
        c = front.accept();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        if (!closed.get()) {
          LOG.log(Level.WARNING, "unix socket " + options.path() + ": accept failed: " + e);
        }
        return;
      }
      Thread.ofVirtual().name("svcreg-unix-relay").start(() -> relay(c));
    }
  }

  private void relay(SocketChannel outside) {
    open.add(outside);
    String id = "c" + ids.incrementAndGet();
    SocketChannel api = null;
    try {
      UnixDomainPrincipal who = outside.getOption(ExtendedSocketOptions.SO_PEERCRED);
      Peer peer = new Peer(who.user().getName(), who.group().getName(), credentials.of(outside));
      api = SocketChannel.open(StandardProtocolFamily.UNIX);
      open.add(api);
      Path name = dir.resolve(id);
      api.bind(UnixDomainSocketAddress.of(name));
      peers.put(id, peer);
      api.connect(UnixDomainSocketAddress.of(inner));
      // the kernel keeps the name for the connection; the file is not needed
      Files.deleteIfExists(name);
      SocketChannel toApi = api;
      Thread up = Thread.ofVirtual().name("svcreg-unix-relay").start(() -> pump(outside, toApi));
      pump(api, outside);
      up.join();
    } catch (IOException e) {
      if (!closed.get()) {
        LOG.log(Level.DEBUG, "unix socket " + options.path() + ": connection " + id + ": " + e);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      peers.remove(id);
      closeQuietly(outside);
      if (api != null) {
        closeQuietly(api);
      }
    }
  }

  /** Copies {@code from} to {@code to} until the end, then ends {@code to}'s output. */
  private void pump(SocketChannel from, SocketChannel to) {
    ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
    try {
      while (from.read(buf) >= 0) {
        buf.flip();
        while (buf.hasRemaining()) {
          to.write(buf);
        }
        buf.clear();
      }
      to.shutdownOutput();
    } catch (IOException e) {
      // one side is gone: so is the connection
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private void closeQuietly(SocketChannel c) {
    open.remove(c);
    try {
      c.close();
    } catch (IOException e) {
      // already gone
    }
  }

  /**
   * Stops accepting, ends every relayed connection, stops the API's listener, and removes the
   * socket file (only when it is still this server's: another may have replaced it) and the private
   * directory.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      if (front != null) {
        front.close();
      }
    } catch (IOException e) {
      // closing
    }
    try {
      Optional<PosixFileAttributes> now = attributes(options.path());
      if (now.isPresent() && fileKey != null && fileKey.equals(now.get().fileKey())) {
        Files.deleteIfExists(options.path());
      }
    } catch (IOException e) {
      LOG.log(Level.WARNING, "cannot remove the socket " + options.path() + ": " + e);
    }
    stopInner.run();
    open.forEach(this::closeQuietly);
    try {
      removePrivate(dir);
    } catch (SvcregException e) {
      LOG.log(Level.WARNING, e.getMessage());
    }
  }

  // ------------------------------------------------------------------ files

  /** The private directory next to the socket: {@code .NAME.svcreg}. */
  private static Path privateDir(Path path) {
    return path.resolveSibling("." + path.getFileName() + ".svcreg");
  }

  private static void removePrivate(Path dir) {
    Optional<PosixFileAttributes> a = attributes(dir);
    if (a.isEmpty()) {
      return;
    }
    if (!a.get().isDirectory()
        || !a.get().owner().getName().equals(System.getProperty("user.name"))) {
      throw new SvcregException(
          dir + " is in the way (svcreg keeps its private socket there); remove it");
    }
    try (var list = Files.list(dir)) {
      list.forEach(
          f -> {
            try {
              Files.deleteIfExists(f);
            } catch (IOException e) {
              // left behind; the next start removes it
            }
          });
    } catch (NoSuchFileException e) {
      return;
    } catch (IOException e) {
      throw new SvcregException("cannot clear " + dir + ": " + e.getMessage(), e);
    }
    try {
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      throw new SvcregException("cannot remove " + dir + ": " + e.getMessage(), e);
    }
  }

  private static Optional<PosixFileAttributes> attributes(Path path) {
    try {
      return Optional.of(
          Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new SvcregException(path + ": cannot read it: " + e.getMessage(), e);
    }
  }

  private static boolean sticky(Path dir) {
    try {
      int mode = (Integer) Files.getAttribute(dir, "unix:mode");
      return (mode & 01000) != 0;
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  /** Whether a server accepts connections on the socket {@code path}. */
  private static boolean listening(Path path) {
    try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
      return true;
    } catch (IOException e) {
      if (String.valueOf(e.getMessage()).contains("refused")) {
        // ECONNREFUSED: a socket file nobody listens on, e.g. of a killed controller
        return false;
      }
      throw new SvcregException(
          "--unix-socket "
              + path
              + ": cannot tell whether a server listens on it ("
              + e.getMessage()
              + "); remove it if none does");
    }
  }

  private static Set<PosixFilePermission> permissions(int mode) {
    StringBuilder s = new StringBuilder();
    String rwx = "rwx";
    for (int i = 8; i >= 0; i--) {
      s.append((mode & (1 << i)) != 0 ? rwx.charAt(2 - i % 3) : '-');
    }
    return PosixFilePermissions.fromString(s.toString());
  }

  @Override
  public String toString() {
    return "UnixSocket[" + options.path() + "]";
  }
}

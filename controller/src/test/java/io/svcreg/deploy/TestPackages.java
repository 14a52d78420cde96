package io.svcreg.deploy;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/** Packages for tests: the project's example packages, hand-made directories and archives. */
public final class TestPackages {

  /** The quick start's packages (store, api, web). */
  public static final Path EXAMPLES =
      Path.of(System.getProperty("svcreg.project.root", "..")).resolve("examples/packages");

  private TestPackages() {}

  /** A package directory in {@code dir} with the given start, stop and (if not null) health. */
  public static Path directory(Path dir, String name, String start, String stop, String health) {
    try {
      Files.createDirectories(dir.resolve("scripts"));
      Files.writeString(dir.resolve("manifest.yaml"), "name: " + name + "\nversion: \"1.0.0\"\n");
      script(dir.resolve("scripts/start.sh"), start);
      script(dir.resolve("scripts/stop.sh"), stop);
      if (health != null) {
        script(dir.resolve("scripts/health.sh"), health);
      }
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A package directory in {@code dir} whose scripts check the service's run record: {@code
   * start.sh} exits with 7 unless it says {@code state=starting} (then sleeps), {@code stop.sh}
   * unless it says {@code state=stopping} (then ends the service).
   */
  public static Path recordChecking(Path dir, String name) {
    String rec = "\"$SERVICE_HOME/../" + RunRecord.PREFIX + "$SERVICE_NAME\"";
    return directory(
        dir,
        name,
        "grep -qx state=starting "
            + rec
            + " || { echo \"no starting record\"; exit 7; }\n"
            + "exec sleep 1000",
        "grep -qx state=stopping "
            + rec
            + " || { echo \"no stopping record\"; exit 7; }\n"
            + "kill -TERM \"$SERVICE_PID\"",
        null);
  }

  /** Writes an executable bash script with this body. */
  static void script(Path file, String body) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, "#!/usr/bin/env bash\n" + body + "\n");
    setMode(file, 0755);
  }

  /** Sets the permission bits of a file. */
  public static void setMode(Path file, int mode) throws IOException {
    Files.setPosixFilePermissions(file, Extractor.permissions(mode));
  }

  /** The permission bits of a file (not following links). */
  public static int mode(Path file) throws IOException {
    return (Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0777;
  }

  /** A {@code .tar.gz} of a directory tree, with file modes, links as links. */
  public static Path tarGz(Path dir, Path archive) throws IOException {
    try (Tar tar = new Tar(archive);
        Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted().toList()) {
        if (p.equals(dir)) {
          continue;
        }
        String name = dir.relativize(p).toString();
        if (Files.isSymbolicLink(p)) {
          tar.symlink(name, Files.readSymbolicLink(p).toString());
        } else if (Files.isDirectory(p)) {
          tar.directory(name, mode(p));
        } else {
          tar.file(name, mode(p), Files.readAllBytes(p));
        }
      }
    }
    return archive;
  }

  /** Writes a {@code .tar.gz} entry by entry, hostile ones included (names are kept as given). */
  public static final class Tar implements AutoCloseable {
    private final TarArchiveOutputStream out;

    /** A writer of the archive {@code archive}. */
    public Tar(Path archive) throws IOException {
      OutputStream file = Files.newOutputStream(archive);
      out = new TarArchiveOutputStream(new GzipCompressorOutputStream(file));
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    }

    /** A regular file with text content. */
    public Tar file(String name, int mode, String content) throws IOException {
      return file(name, mode, content.getBytes(StandardCharsets.UTF_8));
    }

    /** A regular file. */
    public Tar file(String name, int mode, byte[] content) throws IOException {
      TarArchiveEntry e = new TarArchiveEntry(name, true);
      e.setMode(mode);
      e.setSize(content.length);
      put(e, content);
      return this;
    }

    /** A directory. */
    public Tar directory(String name, int mode) throws IOException {
      TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/", true);
      e.setMode(040000 | mode);
      put(e, null);
      return this;
    }

    /** A symbolic link. */
    public Tar symlink(String name, String target) throws IOException {
      return link(name, TarConstants.LF_SYMLINK, target);
    }

    /** A hard link. */
    public Tar hardlink(String name, String target) throws IOException {
      return link(name, TarConstants.LF_LINK, target);
    }

    /** A device, fifo or other special entry of tar type {@code type}. */
    public Tar special(String name, byte type) throws IOException {
      TarArchiveEntry e = new TarArchiveEntry(name, type, true);
      e.setMode(0644);
      if (type == TarConstants.LF_CHR || type == TarConstants.LF_BLK) {
        e.setDevMajor(1);
        e.setDevMinor(3);
      }
      put(e, null);
      return this;
    }

    /** manifest.yaml, scripts/start.sh and scripts/stop.sh: the files every package needs. */
    public Tar required() throws IOException {
      file("manifest.yaml", 0644, "name: demo\nversion: \"1.0.0\"\n");
      file("scripts/start.sh", 0755, "#!/usr/bin/env bash\nexec sleep 1000\n");
      return file("scripts/stop.sh", 0755, "#!/usr/bin/env bash\nexit 0\n");
    }

    private Tar link(String name, byte type, String target) throws IOException {
      TarArchiveEntry e = new TarArchiveEntry(name, type, true);
      e.setLinkName(target);
      put(e, null);
      return this;
    }

    private void put(TarArchiveEntry e, byte[] content) throws IOException {
      e.setCreationTime(null);
      out.putArchiveEntry(e);
      if (content != null) {
        out.write(content);
      }
      out.closeArchiveEntry();
    }

    @Override
    public void close() throws IOException {
      out.close();
    }
  }

  /** A port nothing listens on at {@code ip} right now. */
  public static int freePort(String ip) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName(ip), 0));
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The names of the entries directly in {@code dir}, sorted. */
  public static List<String> names(Path dir) throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      return list.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** The names in the install root {@code dir} but its run records, sorted. */
  public static List<String> directories(Path dir) throws IOException {
    return names(dir).stream().filter(n -> !n.startsWith(RunRecord.PREFIX)).toList();
  }
}

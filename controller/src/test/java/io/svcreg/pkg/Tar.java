package io.svcreg.pkg;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * Writes a {@code .tar.gz} entry by entry, hostile ones included (names kept as given); {@link
 * #checksums()} adds a list of the regular files written so far, so a hostile entry is the only
 * thing wrong.
 */
final class Tar implements AutoCloseable {

  private final TarArchiveOutputStream out;
  private final Map<String, String> digests = new TreeMap<>();

  Tar(Path archive) throws IOException {
    OutputStream file = Files.newOutputStream(archive);
    out = new TarArchiveOutputStream(new GzipCompressorOutputStream(file));
    out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
  }

  Tar file(String name, int mode, String content) throws IOException {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry e = new TarArchiveEntry(name, true);
    e.setMode(0100000 | mode);
    e.setSize(bytes.length);
    put(e, bytes);
    digests.put(name, Checksums.sha256(new ByteArrayInputStream(bytes)));
    return this;
  }

  /** A directory entry (mode 755). */
  Tar directory(String name) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/", true);
    e.setMode(040755);
    put(e, null);
    return this;
  }

  Tar symlink(String name, String target) throws IOException {
    return link(name, TarConstants.LF_SYMLINK, target);
  }

  Tar hardlink(String name, String target) throws IOException {
    if (digests.containsKey(target)) {
      digests.put(name, digests.get(target)); // extracted, it is a regular file
    }
    return link(name, TarConstants.LF_LINK, target);
  }

  Tar special(String name, byte type) throws IOException {
    TarArchiveEntry e = new TarArchiveEntry(name, type, true);
    e.setMode(0644);
    if (type == TarConstants.LF_CHR || type == TarConstants.LF_BLK) {
      e.setDevMajor(1);
      e.setDevMinor(3);
    }
    put(e, null);
    return this;
  }

  /** manifest.yaml, scripts/start.sh and scripts/stop.sh: what every package needs. */
  Tar required() throws IOException {
    file("manifest.yaml", 0644, "name: demo\nversion: \"1.0.0\"\n");
    file("scripts/start.sh", 0755, "#!/usr/bin/env bash\nexec sleep 1000\n");
    return file("scripts/stop.sh", 0755, "#!/usr/bin/env bash\nexit 0\n");
  }

  /** The checksum list of the regular files written so far. */
  Tar checksums() throws IOException {
    byte[] list = Checksums.format(digests).getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry e = new TarArchiveEntry(PackageFormat.CHECKSUMS, true);
    e.setMode(0100644);
    e.setSize(list.length);
    put(e, list);
    return this;
  }

  /** A checksum list with exactly this text. */
  Tar checksums(String text) throws IOException {
    byte[] list = text.getBytes(StandardCharsets.UTF_8);
    TarArchiveEntry e = new TarArchiveEntry(PackageFormat.CHECKSUMS, true);
    e.setMode(0100644);
    e.setSize(list.length);
    put(e, list);
    return this;
  }

  /** The digests of the regular files written so far, by name. */
  Map<String, String> digests() {
    return digests;
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

package io.svcreg.pkg;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import io.svcreg.schema.PackageManifest;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Checks a package archive before anything of it is trusted, reading it once as a stream (nothing
 * is written): the gzip and tar structure (a truncated or corrupt archive is refused), the size and
 * entry-count limits, every entry's name and type (no absolute names, no {@code ..}, nothing below
 * a symbolic link, symbolic links that stay inside when followed, hard links only to an earlier
 * file, no devices or fifos), the manifest and required scripts, and every regular file against the
 * checksum list. Also checks an extracted package directory against its list ({@link #checkTree}).
 */
public final class PackageVerifier {

  private final Limits limits;

  /** How much an archive may unpack to: total bytes of its files and number of entries. */
  public record Limits(long maxBytes, int maxEntries) {
    /** 1 GiB and 100,000 entries. */
    public static final Limits DEFAULT = new Limits(1L << 30, 100_000);
  }

  /**
   * The verdict on an archive: its manifest when readable, its regular files and their total size,
   * the archive's SHA-256, and the problems (empty when valid; one line each, naming the entry).
   */
  public record Report(
      Optional<PackageManifest> manifest,
      int files,
      long bytes,
      String sha256,
      List<String> problems) {
    public Report {
      problems = List.copyOf(problems);
    }

    /** Whether the package is valid. */
    public boolean valid() {
      return problems.isEmpty();
    }
  }

  /** A verifier with these limits. */
  public PackageVerifier(Limits limits) {
    this.limits = limits;
  }

  /** A refused entry or archive: stops the scan. */
  private static final class Refused extends Exception {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  /** Verifies the archive {@code file}; an unreadable file is an {@link IOException}. */
  public Report verify(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "not found or not a regular file");
    }
    Scan scan = new Scan();
    List<String> problems = new ArrayList<>();
    try (InputStream raw = Files.newInputStream(file)) {
      try {
        scan.read(new BufferedInputStream(raw));
      } catch (Refused r) {
        problems.add(r.getMessage());
        return new Report(Optional.empty(), scan.fileCount(), scan.bytes, "", problems);
      }
    }
    Optional<PackageManifest> manifest =
        ManifestCheck.manifest(PackageFormat.MANIFEST, scan.manifest, problems);
    ManifestCheck.scripts(manifest, scan::modeOf, problems);
    if (scan.checksums == null) {
      problems.add(
          "the package has no "
              + PackageFormat.CHECKSUMS
              + " (build it with `svcreg package build`)");
    } else {
      Checksums.Parsed listed = Checksums.parse(new String(scan.checksums, StandardCharsets.UTF_8));
      problems.addAll(listed.problems());
      problems.addAll(Checksums.compare(listed.digests(), scan.digests));
    }
    String sha256;
    try (InputStream in = Files.newInputStream(file)) {
      sha256 = Checksums.sha256(in);
    }
    return new Report(manifest, scan.fileCount(), scan.bytes, sha256, problems);
  }

  /**
   * Checks an extracted package directory against its checksum list, if it has one: one line per
   * missing, extra or mismatched regular file (symbolic links are not listed; they were checked
   * when extracted). No list: nothing to check, an empty list.
   */
  public static List<String> checkTree(Path dir) throws IOException {
    Path list = dir.resolve(PackageFormat.CHECKSUMS);
    if (!Files.isRegularFile(list, NOFOLLOW_LINKS)) {
      return List.of();
    }
    Checksums.Parsed listed = Checksums.parse(Files.readString(list, StandardCharsets.UTF_8));
    Map<String, String> actual = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir)) {
      files = walk.filter(p -> Files.isRegularFile(p, NOFOLLOW_LINKS)).toList();
    }
    for (Path p : files) {
      String rel = dir.relativize(p).toString();
      if (rel.equals(PackageFormat.CHECKSUMS) || rel.equals(PackageFormat.RESERVED)) {
        continue;
      }
      try (InputStream in = Files.newInputStream(p, NOFOLLOW_LINKS)) {
        actual.put(rel, Checksums.sha256(in));
      }
    }
    List<String> problems = new ArrayList<>(listed.problems());
    problems.addAll(Checksums.compare(listed.digests(), actual));
    return problems;
  }

  /** The state of one scan: what the archive held so far. */
  private final class Scan {
    /** Kinds of entries by normalized name. */
    private final Map<String, Character> kinds = new HashMap<>();

    private final Map<String, Integer> modes = new HashMap<>();
    private final Map<String, String> digests = new TreeMap<>();
    private final Map<String, String> symlinks = new TreeMap<>();
    private int entries;
    private long bytes;
    private byte[] manifest;
    private byte[] checksums;

    int fileCount() {
      return digests.size();
    }

    OptionalInt modeOf(String name) {
      Character k = kinds.get(name);
      return k != null && k == 'f' ? OptionalInt.of(modes.get(name)) : OptionalInt.empty();
    }

    void read(InputStream in) throws Refused, IOException {
      InputStream gz;
      try {
        gz = new Unreadable(new GzipCompressorInputStream(in));
      } catch (IOException e) {
        throw new Refused("not a gzip-compressed tar archive: " + oneLine(e));
      }
      TarArchiveInputStream tar = new TarArchiveInputStream(gz);
      try {
        TarArchiveEntry e;
        while ((e = next(tar)) != null) {
          entry(e, tar);
        }
        gz.transferTo(OutputStream.nullOutputStream()); // to the end: the gzip trailer's CRC
      } catch (Unreadable.Failure f) {
        throw new Refused("the archive is truncated or corrupt: " + oneLine(f.getCause()));
      } catch (IOException e) {
        throw new Refused("the archive is truncated or corrupt: " + oneLine(e));
      }
      for (String link : symlinks.keySet()) {
        Optional<String> why =
            Containment.escape(link, path -> Optional.ofNullable(symlinks.get(path)));
        if (why.isPresent()) {
          throw new Refused("the symbolic link `" + link + "` " + why.get());
        }
      }
    }

    private TarArchiveEntry next(TarArchiveInputStream tar) throws Refused, IOException {
      try {
        TarArchiveEntry e = tar.getNextEntry();
        if (e != null && !e.isCheckSumOK()) {
          throw new Refused(
              "the archive is corrupt (bad header checksum at `" + e.getName() + "`)");
        }
        return e;
      } catch (Unreadable.Failure f) {
        throw f;
      } catch (IOException | IllegalArgumentException e) {
        throw new Refused("the archive is not a valid tar archive: " + oneLine(e));
      }
    }

    private void entry(TarArchiveEntry e, TarArchiveInputStream tar) throws Refused, IOException {
      if (++entries > limits.maxEntries()) {
        throw new Refused(
            "the archive has more than " + limits.maxEntries() + " entries (the limit)");
      }
      String raw = e.getName();
      String name = normalize(raw);
      byte type = e.getLinkFlag();
      boolean dir =
          type == TarConstants.LF_DIR
              || (raw.endsWith("/")
                  && (type == TarConstants.LF_NORMAL || type == TarConstants.LF_OLDNORM));
      if (name.isEmpty()) {
        if (dir) {
          return; // the package root itself
        }
        throw new Refused("the archive has an entry without a name (`" + raw + "`)");
      }
      if (name.equals(PackageFormat.RESERVED)) {
        throw new Refused("the entry `" + name + "` uses a name svcreg reserves");
      }
      parents(name);
      Character before = kinds.get(name);
      if (before != null && !(dir && before == 'd')) {
        throw new Refused("the archive holds `" + name + "` twice");
      }
      if (dir) {
        kinds.put(name, 'd');
        return;
      }
      switch (type) {
        case TarConstants.LF_NORMAL, TarConstants.LF_OLDNORM, TarConstants.LF_CONTIG ->
            file(name, e, tar);
        case TarConstants.LF_SYMLINK -> symlink(name, e.getLinkName());
        case TarConstants.LF_LINK -> hardlink(name, e.getLinkName());
        case TarConstants.LF_CHR, TarConstants.LF_BLK ->
            throw new Refused(
                "the entry `"
                    + name
                    + "` is a device; a package holds only files, directories and links");
        case TarConstants.LF_FIFO ->
            throw new Refused(
                "the entry `"
                    + name
                    + "` is a fifo; a package holds only files, directories and links");
        default ->
            throw new Refused(
                "the entry `" + name + "` has an unsupported type (" + (char) type + ")");
      }
    }

    /** Checks that no parent of {@code name} is a link or file; records implied directories. */
    private void parents(String name) throws Refused {
      int slash = -1;
      while ((slash = name.indexOf('/', slash + 1)) > 0) {
        String parent = name.substring(0, slash);
        Character k = kinds.putIfAbsent(parent, 'd');
        if (k != null && k == 'l') {
          throw new Refused(
              "the entry `" + name + "` goes through the symbolic link `" + parent + "`");
        }
        if (k != null && k != 'd') {
          throw new Refused("the entry `" + name + "` is below `" + parent + "`, which is a file");
        }
      }
    }

    private void file(String name, TarArchiveEntry e, TarArchiveInputStream tar)
        throws Refused, IOException {
      long size = e.getSize();
      if (size < 0 || bytes + size > limits.maxBytes()) {
        throw new Refused(
            "the archive unpacks to more than "
                + limits.maxBytes()
                + " bytes (the limit), at `"
                + name
                + "`");
      }
      bytes += size;
      kinds.put(name, 'f');
      modes.put(name, e.getMode() & 0777);
      boolean keep = name.equals(PackageFormat.MANIFEST) || name.equals(PackageFormat.CHECKSUMS);
      if (keep) {
        if (size > PackageFormat.MAX_MANIFEST_BYTES) {
          throw new Refused("`" + name + "` is larger than 1 MiB");
        }
        byte[] content = tar.readNBytes((int) size);
        if (content.length != size) {
          throw new Refused("the archive is truncated or corrupt: `" + name + "` is cut short");
        }
        if (name.equals(PackageFormat.MANIFEST)) {
          manifest = content;
        } else {
          checksums = content;
          return; // the list does not list itself
        }
        digests.put(name, HexFormat.of().formatHex(Checksums.digest().digest(content)));
      } else {
        Counting counted = new Counting(tar);
        digests.put(name, Checksums.sha256(counted));
        if (counted.count != size) {
          throw new Refused("the archive is truncated or corrupt: `" + name + "` is cut short");
        }
      }
    }

    private void symlink(String name, String target) throws Refused {
      if (target == null || target.isEmpty()) {
        throw new Refused("the symbolic link `" + name + "` has no target");
      }
      if (target.startsWith("/")) {
        throw new Refused("the symbolic link `" + name + "` points to the absolute path " + target);
      }
      if (target.indexOf('\0') >= 0) {
        throw new Refused("the symbolic link `" + name + "` has a malformed target");
      }
      kinds.put(name, 'l');
      symlinks.put(name, target);
    }

    private void hardlink(String name, String target) throws Refused {
      String to;
      try {
        to = normalize(target == null ? "" : target);
      } catch (Refused r) {
        throw new Refused(
            "the hard link `" + name + "` points outside the package (" + target + ")");
      }
      Character k = kinds.get(to);
      if (to.isEmpty() || k == null || k != 'f' || to.equals(PackageFormat.CHECKSUMS)) {
        throw new Refused(
            "the hard link `"
                + name
                + "` must point to an earlier file of the package, not "
                + target);
      }
      kinds.put(name, 'f');
      modes.put(name, modes.get(to));
      digests.put(name, digests.get(to));
    }
  }

  /**
   * An archive entry's name as a relative path without {@code .} or empty parts ("" for the package
   * root); an absolute name, a NUL character or a {@code ..} part is refused with a line naming the
   * entry. The one rule for entry names, shared with the installer's extractor.
   */
  public static String entryName(String name) throws PackageException {
    if (name.startsWith("/")) {
      throw new PackageException("the entry `" + name + "` has an absolute path");
    }
    if (name.indexOf('\0') >= 0) {
      throw new PackageException("an entry name holds a NUL character");
    }
    List<String> parts = new ArrayList<>();
    for (String part : name.split("/")) {
      if (part.equals("..")) {
        throw new PackageException("the entry `" + name + "` climbs out with `..`");
      }
      if (!part.isEmpty() && !part.equals(".")) {
        parts.add(part);
      }
    }
    return String.join("/", parts);
  }

  private static String normalize(String name) throws Refused {
    try {
      return entryName(name);
    } catch (PackageException e) {
      throw new Refused(e.getMessage());
    }
  }

  private static String oneLine(Throwable e) {
    String m = e.getMessage();
    return (m == null || m.isBlank() ? e.getClass().getSimpleName() : m).replace('\n', ' ');
  }

  /** Counts what is read through it. */
  private static final class Counting extends FilterInputStream {
    long count;

    Counting(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }
}

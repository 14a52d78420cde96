package io.svcreg.schema;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Resolves a service's {@code package} (relative to its spec file) to its manifest: a directory
 * with {@code manifest.yaml}, or a {@code .tar.gz} containing one. Results are cached per resolved
 * path for the lifetime of this object (one load).
 */
final class Packages {

  /** Largest manifest read. */
  static final int MAX_MANIFEST_BYTES = 1 << 20;

  static final String MANIFEST = "manifest.yaml";

  private final Display display;
  private final Interner interner;
  private final Map<Path, Resolved> cache = new ConcurrentHashMap<>();
  private final Map<Path, Resolved> earlier;
  private final Map<Path, Path> packagesAt;

  Packages(Display display, Interner interner) {
    this(display, interner, Map.of());
  }

  /**
   * Packages that reuse {@code earlier} manifests (by absolute path, from an earlier load) whose
   * stamp is unchanged, instead of reading them again.
   */
  Packages(Display display, Interner interner, Map<Path, Resolved> earlier) {
    this(display, interner, earlier, Map.of());
  }

  /**
   * As {@link #Packages(Display, Interner, Map)}, reading a package whose path is a key of {@code
   * packagesAt} (or lies below one) from the value instead (absolute paths both).
   */
  Packages(
      Display display, Interner interner, Map<Path, Resolved> earlier, Map<Path, Path> packagesAt) {
    this.display = display;
    this.interner = interner;
    this.earlier = earlier;
    this.packagesAt = packagesAt;
  }

  /**
   * A resolved package: its manifest, or why there is none ({@code error}, a message for the spec's
   * {@code package} field) plus the problems inside the manifest file.
   */
  record Resolved(
      Path path,
      String key,
      long stamp,
      PackageManifest manifest,
      String error,
      List<Problem> manifestProblems) {}

  /** Resolves {@code ref} against the spec file's directory. */
  Resolved resolve(Path baseDir, String ref) {
    Path path = instead(display.absolute(baseDir.resolve(ref)));
    return cache.computeIfAbsent(path, p -> resolveNew(p, ref));
  }

  /** Where the package at {@code path} is read from (see {@link #packagesAt}). */
  private Path instead(Path path) {
    for (Map.Entry<Path, Path> e : packagesAt.entrySet()) {
      if (path.startsWith(e.getKey())) {
        return e.getValue().resolve(e.getKey().relativize(path)).normalize();
      }
    }
    return path;
  }

  private Resolved resolveNew(Path path, String ref) {
    long stamp = stamp(path);
    Resolved old = earlier.get(path);
    if (old != null && stamp != -1 && old.stamp() == stamp) {
      return old;
    }
    return withStamp(path, stamp, load(path, ref));
  }

  /**
   * Whether {@code earlier} (resolved without error by an earlier read) is still what its path
   * resolves to: its manifest's stamp is unchanged. If so it counts as resolved by this read.
   */
  boolean stillCurrent(Resolved earlier) {
    if (earlier.path() == null || earlier.error() != null || earlier.stamp() == -1) {
      return false;
    }
    Resolved now =
        cache.computeIfAbsent(earlier.path(), p -> stamp(p) == earlier.stamp() ? earlier : null);
    return now == earlier;
  }

  /**
   * The packages resolved so far that read without error (their results do not depend on how the
   * spec wrote the reference), for {@link #Packages(Display, Interner, Map)}.
   */
  void reusable(Map<Path, Resolved> into) {
    for (Map.Entry<Path, Resolved> e : cache.entrySet()) {
      if (e.getValue().error() == null && e.getValue().stamp() != -1) {
        into.put(e.getKey(), e.getValue());
      }
    }
  }

  /** The stamps (see {@link #stamp}) of every package resolved so far, by absolute path. */
  Map<String, Long> stamps() {
    Map<String, Long> out = new HashMap<>();
    for (Resolved r : cache.values()) {
      out.put(r.key(), r.stamp());
    }
    return out;
  }

  /**
   * A value that changes when a package's manifest may have changed: modification time, size and
   * file key (device and inode) of its {@code manifest.yaml} or archive; -1 when there is neither.
   */
  static long stamp(Path pkg) {
    try {
      Path f = Files.isDirectory(pkg) ? pkg.resolve(MANIFEST) : pkg;
      BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
      Object key = a.fileKey();
      long stamp =
          (a.lastModifiedTime().to(TimeUnit.NANOSECONDS) * 31 + a.size()) * 31
              + (key == null ? 0 : key.hashCode());
      return stamp == -1 ? -2 : stamp;
    } catch (IOException e) {
      return -1;
    }
  }

  private static Resolved withStamp(Path path, long stamp, Resolved r) {
    return new Resolved(
        path, path.toString(), stamp, r.manifest(), r.error(), r.manifestProblems());
  }

  private Resolved load(Path path, String ref) {
    String shown = display.of(path);
    try {
      if (Files.isDirectory(path)) {
        Path manifest = path.resolve(MANIFEST);
        if (!Files.isRegularFile(manifest)) {
          return failed("package `" + ref + "` has no " + MANIFEST + " (looked in " + shown + ")");
        }
        if (Files.size(manifest) > MAX_MANIFEST_BYTES) {
          return failed("the manifest of package `" + ref + "` is larger than 1 MiB");
        }
        return parsed(ref, display.of(manifest), Files.readAllBytes(manifest));
      }
      if (Files.isRegularFile(path)) {
        String name = path.getFileName().toString();
        if (!name.endsWith(".tar.gz") && !name.endsWith(".tgz")) {
          return failed(
              "package `" + ref + "` must be a directory or a .tar.gz file (found " + shown + ")");
        }
        byte[] bytes = fromArchive(path);
        if (bytes == null) {
          return failed("package `" + ref + "` (" + shown + ") contains no " + MANIFEST);
        }
        return parsed(ref, shown + "!/" + MANIFEST, bytes);
      }
      return failed(
          "package `"
              + ref
              + "` not found (looked for "
              + shown
              + "); expected a directory with "
              + MANIFEST
              + " or a .tar.gz containing one, relative to the spec file");
    } catch (IOException e) {
      return failed("cannot read package `" + ref + "` (" + shown + "): " + e.getMessage());
    }
  }

  private static byte[] fromArchive(Path archive) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(archive));
        GzipCompressorInputStream gz = new GzipCompressorInputStream(in);
        TarArchiveInputStream tar = new TarArchiveInputStream(gz)) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        String name = e.getName();
        while (name.startsWith("./")) {
          name = name.substring(2);
        }
        if (!name.equals(MANIFEST) || !e.isFile()) {
          continue;
        }
        if (e.getSize() > MAX_MANIFEST_BYTES) {
          throw new IOException(MANIFEST + " is larger than 1 MiB");
        }
        return tar.readNBytes((int) e.getSize());
      }
      return null;
    }
  }

  private Resolved parsed(String ref, String manifestName, byte[] bytes) {
    String text;
    try {
      text = decode(bytes);
    } catch (CharacterCodingException e) {
      return new Resolved(
          null,
          null,
          0,
          null,
          invalid(ref, manifestName),
          List.of(new Problem(manifestName, 0, 0, "", "not valid UTF-8 text")));
    }
    return switch (PackageManifest.parse(manifestName, text, interner)) {
      case PackageManifest.Parsed.Ok ok ->
          new Resolved(null, null, 0, ok.manifest(), null, List.of());
      case PackageManifest.Parsed.Invalid bad ->
          new Resolved(null, null, 0, null, invalid(ref, manifestName), bad.problems());
    };
  }

  private static String invalid(String ref, String manifestName) {
    return "package `" + ref + "` has an invalid manifest (see " + manifestName + ")";
  }

  private static Resolved failed(String message) {
    return new Resolved(null, null, 0, null, message, List.of());
  }

  /** Strict UTF-8 decoding (a byte-order mark is dropped). */
  static String decode(byte[] bytes) throws CharacterCodingException {
    String s = new String(bytes, StandardCharsets.UTF_8);
    if (s.indexOf('\uFFFD') >= 0) {
      s =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    }
    return s.startsWith("\uFEFF") ? s.substring(1) : s;
  }
}

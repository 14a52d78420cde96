package io.svcreg.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.Comparator;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The file {@value #FILE} in an install directory: which service and version it holds, the checksum
 * of the installed tree, when it was installed and when that version was last started.
 */
public record InstallMarker(
    String service,
    String version,
    String checksum,
    Instant installedAt,
    Optional<Instant> startedAt) {

  /** The marker's file name; a package may not contain it. */
  public static final String FILE = ".svcreg-install";

  /**
   * Orders versions by what was last active: started ones before never-started ones, then by start
   * time, then by install time.
   */
  static final Comparator<InstallMarker> BY_ACTIVITY =
      Comparator.comparing((InstallMarker m) -> m.startedAt().orElse(Instant.MIN))
          .thenComparing(InstallMarker::installedAt);

  /** The later of the install and the last start. */
  Instant lastActivity() {
    return startedAt.filter(t -> t.isAfter(installedAt)).orElse(installedAt);
  }

  /** This marker with {@code startedAt} set. */
  public InstallMarker started(Instant at) {
    return new InstallMarker(service, version, checksum, installedAt, Optional.of(at));
  }

  /**
   * The marker of the install directory {@code dir}, or empty when it has none (or a broken one).
   */
  public static Optional<InstallMarker> read(Path dir) {
    return RecordText.read(dir.resolve(FILE)).flatMap(InstallMarker::of);
  }

  /** The marker written as {@code text} (see {@link #text}), or empty when it is broken. */
  public static Optional<InstallMarker> parse(String text) {
    return RecordText.parse(text).flatMap(InstallMarker::of);
  }

  private static Optional<InstallMarker> of(Properties p) {
    String service = p.getProperty("service");
    String version = p.getProperty("version");
    String checksum = p.getProperty("checksum");
    String installedAt = p.getProperty("installedAt");
    if (service == null || version == null || checksum == null || installedAt == null) {
      return Optional.empty();
    }
    String startedAt = p.getProperty("startedAt");
    try {
      return Optional.of(
          new InstallMarker(
              service,
              version,
              checksum,
              Instant.parse(installedAt),
              startedAt == null ? Optional.empty() : Optional.of(Instant.parse(startedAt))));
    } catch (DateTimeException e) {
      return Optional.empty();
    }
  }

  /** Writes the marker into {@code dir}, replacing the old one atomically. */
  public void write(Path dir) throws IOException {
    Path tmp = dir.resolve(FILE + ".tmp");
    Files.writeString(tmp, text(), StandardCharsets.UTF_8);
    Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
  }

  /** The marker file's content. */
  public String text() {
    TreeMap<String, String> values = new TreeMap<>();
    values.put("service", service);
    values.put("version", version);
    values.put("checksum", checksum);
    values.put("installedAt", installedAt.toString());
    startedAt.ifPresent(t -> values.put("startedAt", t.toString()));
    return RecordText.text(values);
  }
}

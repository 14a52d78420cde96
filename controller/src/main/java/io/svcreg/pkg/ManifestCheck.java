package io.svcreg.pkg;

import io.svcreg.schema.ExecutionType;
import io.svcreg.schema.PackageManifest;
import io.svcreg.schema.Problem;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;

/**
 * Checks a package's manifest (CONTRACT section 5 fields, through {@link PackageManifest#parse})
 * and the scripts it needs: {@code scripts/start.sh} and {@code scripts/stop.sh} as regular files
 * executable by their owner, and the health script when the manifest names one.
 */
final class ManifestCheck {

  private ManifestCheck() {}

  /** The manifest, or empty with the problems added to {@code problems}. */
  static Optional<PackageManifest> manifest(String shownName, byte[] bytes, List<String> problems) {
    if (bytes == null) {
      problems.add(
          "the package has no "
              + PackageFormat.MANIFEST
              + " at its root (name, version and what the service needs)");
      return Optional.empty();
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      problems.add(shownName + ": not valid UTF-8 text");
      return Optional.empty();
    }
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1);
    }
    return switch (PackageManifest.parse(shownName, text)) {
      case PackageManifest.Parsed.Ok ok -> Optional.of(ok.manifest());
      case PackageManifest.Parsed.Invalid bad -> {
        bad.problems().stream().sorted(Problem.ORDER).map(Problem::toString).forEach(problems::add);
        yield Optional.empty();
      }
    };
  }

  /**
   * Checks the required scripts and the manifest's health script; {@code modeOf} gives the
   * permission bits of a regular file of the package, or empty when there is none by that name.
   */
  static void scripts(
      Optional<PackageManifest> manifest,
      Function<String, OptionalInt> modeOf,
      List<String> problems) {
    // a docker package's image runs: its scripts are optional
    List<String> required =
        manifest.flatMap(PackageManifest::serviceType).orElse(null) == ExecutionType.DOCKER
            ? List.of()
            : PackageFormat.REQUIRED_SCRIPTS;
    List<String> scripts = new ArrayList<>(required);
    manifest
        .flatMap(PackageManifest::health)
        .map(h -> h.script())
        .filter(s -> !scripts.contains(s))
        .ifPresent(scripts::add);
    for (String s : scripts) {
      OptionalInt mode = modeOf.apply(s);
      if (mode.isEmpty()) {
        problems.add(
            required.contains(s)
                ? "the package has no "
                    + s
                    + " (a package needs "
                    + String.join(" and ", PackageFormat.REQUIRED_SCRIPTS)
                    + ")"
                : "the manifest's health.script `" + s + "` is not a file of the package");
      } else if ((mode.getAsInt() & 0100) == 0) {
        problems.add(s + " is not executable (chmod +x it)");
      }
    }
  }
}

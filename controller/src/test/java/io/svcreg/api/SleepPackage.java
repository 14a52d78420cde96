package io.svcreg.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/** A package directory {@code packages/web} (version 1.0.0) whose service sleeps 300 s. */
final class SleepPackage {

  private SleepPackage() {}

  /** Writes it under {@code root}; {@code stopBody} is stop.sh's body after the shebang. */
  static Path write(Path root, String stopBody) throws IOException {
    Path pkg = Files.createDirectories(root.resolve("packages/web/scripts"));
    Files.writeString(pkg.resolveSibling("manifest.yaml"), "name: web\nversion: \"1.0.0\"\n");
    Files.writeString(pkg.resolve("start.sh"), "#!/bin/sh\nexec sleep 300\n");
    Files.writeString(pkg.resolve("stop.sh"), "#!/bin/sh\n" + stopBody + "\n");
    for (String script : List.of("start.sh", "stop.sh")) {
      Files.setPosixFilePermissions(
          pkg.resolve(script), PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    return pkg.getParent();
  }
}

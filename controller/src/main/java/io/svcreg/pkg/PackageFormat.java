package io.svcreg.pkg;

import java.util.List;

/** The fixed names of a package: its manifest, required scripts and checksum list. */
public final class PackageFormat {

  /** The manifest at the package root. */
  public static final String MANIFEST = "manifest.yaml";

  /** The checksum list at the package root, in {@code sha256sum} format. */
  public static final String CHECKSUMS = "CHECKSUMS.sha256";

  /** Scripts every package must have, executable by their owner. */
  public static final List<String> REQUIRED_SCRIPTS =
      List.of("scripts/start.sh", "scripts/stop.sh");

  /** A name the installer writes into each install directory; no package may hold it. */
  public static final String RESERVED = ".svcreg-install";

  /** Largest manifest read. */
  static final int MAX_MANIFEST_BYTES = 1 << 20;

  private PackageFormat() {}
}

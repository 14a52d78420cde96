package io.svcreg.schema;

import java.nio.file.Path;
import java.util.Map;

/** What files parsed together share: how names are shown, interned strings, package manifests. */
final class ParseContext {

  final Display display;
  final Interner interner;
  final Packages packages;

  /**
   * Whether parsed files keep their {@link Segments} (hashes of their documents), so that a re-read
   * parses only the documents that changed; kept by {@link SpecCatalog}.
   */
  final boolean keepSegments;

  ParseContext(Display display) {
    this(display, Map.of());
  }

  /**
   * A context that reuses unchanged package manifests from an earlier one (see {@link Packages}).
   */
  ParseContext(Display display, Map<Path, Packages.Resolved> earlierPackages) {
    this(display, earlierPackages, false);
  }

  /** As {@link #ParseContext(Display, Map)}, keeping segments when {@code keepSegments}. */
  ParseContext(
      Display display, Map<Path, Packages.Resolved> earlierPackages, boolean keepSegments) {
    this(display, earlierPackages, keepSegments, Map.of());
  }

  private ParseContext(
      Display display,
      Map<Path, Packages.Resolved> earlierPackages,
      boolean keepSegments,
      Map<Path, Path> packagesAt) {
    this.display = display;
    this.keepSegments = keepSegments;
    this.interner = new Interner();
    this.packages = new Packages(display, interner, earlierPackages, packagesAt);
  }

  /** A context for files named relative to the process's working directory. */
  static ParseContext ofWorkingDirectory() {
    return new ParseContext(Display.ofWorkingDirectory());
  }

  /**
   * A context for files named relative to the working directory, whose packages at the keys of
   * {@code packagesAt} are read from its values (see {@link Packages}).
   */
  static ParseContext ofWorkingDirectory(Map<Path, Path> packagesAt) {
    return new ParseContext(Display.ofWorkingDirectory(), Map.of(), false, packagesAt);
  }
}

package io.svcreg.schema;

import java.nio.file.Path;
import java.util.Map;

/** What files parsed together share: how names are shown, interned strings, package manifests. */
final class ParseContext {

  final Display display;
  final Interner interner;
  final Packages packages;

  ParseContext(Display display) {
    this(display, Map.of());
  }

  /**
   * A context that reuses unchanged package manifests from an earlier one (see {@link Packages}).
   */
  ParseContext(Display display, Map<Path, Packages.Resolved> earlierPackages) {
    this.display = display;
    this.interner = new Interner();
    this.packages = new Packages(display, interner, earlierPackages);
  }

  /** A context for files named relative to the process's working directory. */
  static ParseContext ofWorkingDirectory() {
    return new ParseContext(Display.ofWorkingDirectory());
  }
}

package io.svcreg.schema;

/** What files parsed together share: how names are shown, interned strings, package manifests. */
final class ParseContext {

  final Display display;
  final Interner interner;
  final Packages packages;

  ParseContext(Display display) {
    this.display = display;
    this.interner = new Interner();
    this.packages = new Packages(display, interner);
  }

  /** A context for files named relative to the process's working directory. */
  static ParseContext ofWorkingDirectory() {
    return new ParseContext(Display.ofWorkingDirectory());
  }
}

package io.svcreg.schema;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The spec files under some roots, kept parsed and checked so that a change costs only what it
 * touches: {@link #update} and {@link #remove} take the paths a directory watcher reports, {@link
 * #rescan} re-reads what changed on disk (size or modification time of a spec file, or of a package
 * manifest it uses). Each call returns the new {@link SpecSet}, equal to what {@link
 * SpecLoader#load} returns for the same files. Thread-safe.
 */
public final class SpecCatalog {

  private final List<Path> roots;
  private final Display display;
  private final Map<String, Long> packageStamps = new HashMap<>();
  private final Map<Path, Packages.Resolved> manifests = new HashMap<>();
  private LiveValidator live = new LiveValidator();
  private SpecSet current;
  // the stamps of the manifests the cache file holds (see useManifests and saveManifests)
  private Map<String, Long> savedManifests = Map.of();

  /**
   * A catalog of the spec files under {@code roots} (files or directories); call {@link #rescan}.
   */
  public SpecCatalog(List<Path> roots) {
    this(roots, Display.ofWorkingDirectory());
  }

  SpecCatalog(List<Path> roots, Display display) {
    this.roots = List.copyOf(roots);
    this.display = display;
    this.current = live.apply(Map.of());
  }

  /** The desired state as of the last call. */
  public synchronized SpecSet current() {
    return current;
  }

  /**
   * Reuses the package manifests that {@link #saveManifests} kept in {@code file} (in an earlier
   * run): a manifest whose {@code manifest.yaml} (or {@code .tar.gz}) has the same modification
   * time, size and inode as when it was read is not parsed again. Call before the first {@link
   * #rescan}; a missing file, or one that does not read, is ignored. Returns how many manifests it
   * holds.
   */
  public synchronized int useManifests(Path file) {
    Map<Path, Packages.Resolved> cached = ManifestCache.read(file);
    for (Map.Entry<Path, Packages.Resolved> e : cached.entrySet()) {
      manifests.putIfAbsent(e.getKey(), e.getValue());
    }
    savedManifests = stamps(cached.values());
    return cached.size();
  }

  /**
   * Keeps the manifests that the current spec files use (those that read without a problem) in
   * {@code file} for {@link #useManifests}, unless it holds exactly those already; returns whether
   * it wrote the file (atomically: a temporary file renamed over it).
   */
  public synchronized boolean saveManifests(Path file) throws IOException {
    Set<String> used = new HashSet<>();
    for (ParsedFile f : live.parsedFiles()) {
      used.addAll(f.packages());
    }
    List<Packages.Resolved> keep = new ArrayList<>();
    for (Packages.Resolved r : manifests.values()) {
      if (used.contains(r.key())) {
        keep.add(r);
      }
    }
    Map<String, Long> stamps = stamps(keep);
    if (stamps.equals(savedManifests)) {
      return false;
    }
    ManifestCache.write(file, keep);
    savedManifests = stamps;
    return true;
  }

  private static Map<String, Long> stamps(Collection<Packages.Resolved> manifests) {
    Map<String, Long> out = new HashMap<>();
    for (Packages.Resolved r : manifests) {
      out.put(r.key(), r.stamp());
    }
    return out;
  }

  /** Forgets everything and reads all files (and package manifests) again. */
  public synchronized SpecSet reload() {
    live = new LiveValidator();
    packageStamps.clear();
    manifests.clear();
    return rescan();
  }

  /**
   * Walks the roots: reads new files and files whose size or modification time changed (or whose
   * package manifests did), forgets files that are gone.
   */
  public synchronized SpecSet rescan() {
    Map<String, Path> found = new TreeMap<>();
    Map<String, ParsedFile> changes = new LinkedHashMap<>();
    for (Path root : roots) {
      String shown = display.of(root);
      if (Files.isDirectory(root)) {
        try {
          for (Path f : SpecFiles.walk(root)) {
            found.putIfAbsent(shown(f), f);
          }
        } catch (IOException e) {
          changes.put(shown, ParsedFile.unreadable(shown, "cannot list directory: " + e));
        }
      } else if (Files.exists(root)) {
        found.putIfAbsent(shown, root);
      } else {
        changes.put(shown, ParsedFile.unreadable(shown, "no such file or directory"));
      }
    }
    Set<String> changedPackages = changedPackages();
    for (String name : live.fileNames()) {
      if (!found.containsKey(name) && !changes.containsKey(name)) {
        changes.put(name, null);
      }
    }
    ParseContext ctx = new ParseContext(display, manifests, true);
    List<String> names = new ArrayList<>();
    List<Path> paths = new ArrayList<>();
    List<ParsedFile> earlier = new ArrayList<>();
    for (Map.Entry<String, Path> e : found.entrySet()) {
      ParsedFile old = live.file(e.getKey());
      if (old == null || changed(old, e.getValue()) || uses(old, changedPackages)) {
        names.add(e.getKey());
        paths.add(e.getValue());
        earlier.add(old);
      }
    }
    List<BasicFileAttributes> attrs = new ArrayList<>(paths.size());
    for (Path p : paths) {
      attrs.add(attributes(p));
    }
    List<ParsedFile> read = SpecParser.readAll(names, paths, ctx, earlier);
    for (int i = 0; i < names.size(); i++) {
      changes.put(names.get(i), stamped(read.get(i), attrs.get(i)));
    }
    return apply(changes, ctx);
  }

  /**
   * Re-reads what a watcher reported at {@code path}: a spec file (read again), a directory (its
   * spec files re-read if changed, vanished ones forgotten) or a path that is gone (forgotten).
   * Paths outside the roots, and files that are not specs, are ignored.
   */
  public synchronized SpecSet update(Path path) {
    return update(List.of(path));
  }

  /** {@link #update(Path)} for several paths, checked once. */
  public synchronized SpecSet update(Collection<Path> paths) {
    ParseContext ctx = new ParseContext(display, manifests, true);
    Map<String, ParsedFile> changes = new LinkedHashMap<>();
    for (Path p : paths) {
      Path root = rootOf(p);
      if (root == null) {
        continue;
      }
      String shown = shown(p);
      BasicFileAttributes attrs = attributes(p);
      if (attrs == null) {
        forget(shown, changes);
        if (display.absolute(p).equals(display.absolute(root))) {
          changes.put(shown, ParsedFile.unreadable(shown, "no such file or directory"));
        }
      } else if (attrs.isDirectory()) {
        refreshDirectory(p, shown, ctx, changes);
      } else if (isSpec(root, p)) {
        changes.put(shown, read(shown, p, ctx));
      }
    }
    return apply(changes, ctx);
  }

  /** Forgets the file (or every file under the directory) at {@code path}. */
  public synchronized SpecSet remove(Path path) {
    Map<String, ParsedFile> changes = new LinkedHashMap<>();
    forget(shown(path), changes);
    return apply(changes, null);
  }

  /**
   * What the desired state would be if the file {@code fileName} (as shown, e.g. {@code
   * specs/api.yaml}) had this text, without changing the catalog; {@code baseDir} resolves
   * packages.
   */
  public synchronized SpecSet preview(String fileName, String text, Path baseDir) {
    ParsedFile pf = SpecParser.parse(fileName, text, baseDir, new ParseContext(display));
    TreeMap<String, ParsedFile> all = new TreeMap<>();
    for (ParsedFile f : live.parsedFiles()) {
      all.put(f.file(), f);
    }
    all.put(pf.file(), pf);
    return SpecValidator.validate(all.values());
  }

  /**
   * What the desired state would be if {@code file} (a spec file below a root, existing or not) had
   * this text, without changing the catalog; for {@code apply}, before the file is written.
   */
  public synchronized SpecSet preview(Path file, String text) {
    Path parent = display.absolute(file).getParent();
    return preview(shown(file), text, parent == null ? display.cwd() : parent);
  }

  private SpecSet apply(Map<String, ParsedFile> changes, ParseContext ctx) {
    if (ctx != null) {
      packageStamps.putAll(ctx.packages.stamps());
      ctx.packages.reusable(manifests);
    }
    if (changes.isEmpty()) {
      return current;
    }
    current = live.apply(changes);
    return current;
  }

  private void refreshDirectory(
      Path dir, String shown, ParseContext ctx, Map<String, ParsedFile> changes) {
    Set<String> seen = new HashSet<>();
    try {
      for (Path f : SpecFiles.walk(dir)) {
        Path root = rootOf(f);
        if (root == null || !isSpec(root, f)) {
          continue;
        }
        String name = shown(f);
        seen.add(name);
        ParsedFile old = live.file(name);
        if (old == null || changed(old, f)) {
          changes.put(name, read(name, f, ctx));
        }
      }
    } catch (IOException e) {
      return;
    }
    String prefix = shown.equals(".") ? "" : shown + "/";
    for (String name : live.fileNames()) {
      if (name.startsWith(prefix) && !seen.contains(name)) {
        changes.put(name, null);
      }
    }
  }

  private void forget(String shown, Map<String, ParsedFile> changes) {
    String prefix = shown.equals(".") ? "" : shown + "/";
    for (String name : live.fileNames()) {
      if (name.equals(shown) || name.startsWith(prefix)) {
        changes.put(name, null);
      }
    }
  }

  private ParsedFile read(String shown, Path p, ParseContext ctx) {
    BasicFileAttributes attrs = attributes(p);
    return stamped(SpecParser.read(p, shown, ctx, live.file(shown)), attrs);
  }

  /** Records the size and modification time the file had before it was read. */
  private static ParsedFile stamped(ParsedFile pf, BasicFileAttributes attrs) {
    if (attrs != null) {
      pf.size = attrs.size();
      pf.modified = attrs.lastModifiedTime().toMillis();
    }
    return pf;
  }

  private static boolean changed(ParsedFile old, Path p) {
    BasicFileAttributes a = attributes(p);
    return a == null
        || old.size < 0
        || a.size() != old.size
        || a.lastModifiedTime().toMillis() != old.modified;
  }

  private Set<String> changedPackages() {
    Set<String> out = new HashSet<>();
    for (Map.Entry<String, Long> e : packageStamps.entrySet()) {
      if (Packages.stamp(Path.of(e.getKey())) != e.getValue()) {
        out.add(e.getKey());
      }
    }
    return out;
  }

  private static boolean uses(ParsedFile f, Set<String> packages) {
    if (packages.isEmpty()) {
      return false;
    }
    for (String p : f.packages()) {
      if (packages.contains(p)) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code p} is the root itself (a file root) or a spec file below it. */
  private boolean isSpec(Path root, Path p) {
    Path r = display.absolute(root);
    Path a = display.absolute(p);
    return a.equals(r) || SpecFiles.isSpec(r, a);
  }

  /** How {@code p} is shown: as the path below its root, as the root was given. */
  private String shown(Path p) {
    Path root = rootOf(p);
    if (root == null) {
      return display.of(p);
    }
    return display.of(root.resolve(display.absolute(root).relativize(display.absolute(p))));
  }

  /** The root that {@code p} is (or is below), or null. */
  private Path rootOf(Path p) {
    Path abs = display.absolute(p);
    for (Path r : roots) {
      if (abs.startsWith(display.absolute(r))) {
        return r;
      }
    }
    return null;
  }

  private static BasicFileAttributes attributes(Path p) {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class);
    } catch (IOException e) {
      return null;
    }
  }
}

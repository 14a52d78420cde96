package io.svcreg.schema;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The spec files under some roots, kept parsed so that a change re-reads only the files it touches:
 * {@link #update} and {@link #remove} take the paths a directory watcher reports, {@link #rescan}
 * re-reads what changed on disk (size or modification time of a spec file or of a package manifest
 * it uses). Each call re-runs the checks across resources and returns the new {@link SpecSet},
 * equal to what {@link SpecLoader#load} would return for the same files. Thread-safe.
 */
public final class SpecCatalog {

  private final List<Path> roots;
  private final Display display;
  private final TreeMap<String, Entry> files = new TreeMap<>();
  private final Map<Path, Long> packageStamps = new HashMap<>();
  private SpecSet current;

  /** One file: where it is, its size and modification time when read, and its parse. */
  private record Entry(Path path, long size, long modified, ParsedFile parsed) {}

  /**
   * A catalog of the spec files under {@code roots} (files or directories); call {@link #rescan}.
   */
  public SpecCatalog(List<Path> roots) {
    this(roots, Display.ofWorkingDirectory());
  }

  SpecCatalog(List<Path> roots, Display display) {
    this.roots = List.copyOf(roots);
    this.display = display;
    this.current = SpecValidator.validate(List.of());
  }

  /** The desired state as of the last call. */
  public synchronized SpecSet current() {
    return current;
  }

  /** Forgets everything and reads all files again. */
  public synchronized SpecSet reload() {
    files.clear();
    packageStamps.clear();
    return rescan();
  }

  /**
   * Walks the roots: reads new files and files whose size or modification time changed (or whose
   * package manifests did), forgets files that are gone.
   */
  public synchronized SpecSet rescan() {
    Map<String, Path> found = new HashMap<>();
    Map<String, ParsedFile> broken = new HashMap<>();
    for (Path root : roots) {
      String shown = display.of(root);
      if (Files.isDirectory(root)) {
        try {
          for (Path f : SpecFiles.walk(root)) {
            found.putIfAbsent(shown(f), f);
          }
        } catch (IOException | UncheckedIOException e) {
          broken.put(shown, ParsedFile.unreadable(shown, "cannot list directory: " + e));
        }
      } else if (Files.exists(root)) {
        found.putIfAbsent(shown, root);
      } else {
        broken.put(shown, ParsedFile.unreadable(shown, "no such file or directory"));
      }
    }
    Set<Path> changedPackages = changedPackages();
    ParseContext ctx = new ParseContext(display);
    files.keySet().removeIf(name -> !found.containsKey(name) && !broken.containsKey(name));
    for (Map.Entry<String, ParsedFile> b : broken.entrySet()) {
      files.put(b.getKey(), new Entry(null, -1, -1, b.getValue()));
    }
    for (Map.Entry<String, Path> e : found.entrySet()) {
      Entry old = files.get(e.getKey());
      if (old == null || old.path() == null || changed(old) || uses(old, changedPackages)) {
        read(e.getKey(), e.getValue(), ctx);
      }
    }
    return revalidate(ctx);
  }

  /**
   * Re-reads what a watcher reported at {@code path}: a spec file (read again), a directory (its
   * spec files re-read if changed, vanished ones forgotten) or a path that is gone (forgotten).
   * Paths outside the roots, and files that are not specs, are ignored.
   */
  public synchronized SpecSet update(Path path) {
    return update(List.of(path));
  }

  /** {@link #update(Path)} for several paths, validated once. */
  public synchronized SpecSet update(Collection<Path> paths) {
    ParseContext ctx = new ParseContext(display);
    for (Path p : paths) {
      Path root = rootOf(p);
      if (root == null) {
        continue;
      }
      String shown = shown(p);
      BasicFileAttributes attrs = attributes(p);
      if (attrs == null && display.absolute(p).equals(display.absolute(root))) {
        forget(shown);
        files.put(
            shown,
            new Entry(null, -1, -1, ParsedFile.unreadable(shown, "no such file or directory")));
      } else if (attrs == null) {
        forget(shown);
      } else if (attrs.isDirectory()) {
        refreshDirectory(p, shown, ctx);
      } else if (isSpec(root, p)) {
        read(shown, p, ctx);
      }
    }
    return revalidate(ctx);
  }

  /** Forgets the file (or every file under the directory) at {@code path}. */
  public synchronized SpecSet remove(Path path) {
    forget(shown(path));
    return revalidate(null);
  }

  /**
   * What the desired state would be if the file {@code fileName} (as shown, e.g. {@code
   * specs/api.yaml}) had this text, without changing the catalog; {@code baseDir} resolves
   * packages.
   */
  public synchronized SpecSet preview(String fileName, String text, Path baseDir) {
    ParsedFile pf = SpecParser.parse(fileName, text, baseDir, new ParseContext(display));
    TreeMap<String, ParsedFile> all = new TreeMap<>();
    for (Map.Entry<String, Entry> e : files.entrySet()) {
      all.put(e.getKey(), e.getValue().parsed());
    }
    all.put(pf.file(), pf);
    return SpecValidator.validate(all.values());
  }

  private void refreshDirectory(Path dir, String shown, ParseContext ctx) {
    Set<String> seen = new HashSet<>();
    try {
      for (Path f : SpecFiles.walk(dir)) {
        Path root = rootOf(f);
        if (root == null || !isSpec(root, f)) {
          continue;
        }
        String name = shown(f);
        seen.add(name);
        Entry old = files.get(name);
        if (old == null || old.path() == null || changed(old)) {
          read(name, f, ctx);
        }
      }
    } catch (IOException | UncheckedIOException e) {
      return;
    }
    String prefix = shown.equals(".") ? "" : shown + "/";
    files.keySet().removeIf(n -> n.startsWith(prefix) && !seen.contains(n));
  }

  private void forget(String shown) {
    files.remove(shown);
    String prefix = shown.equals(".") ? "" : shown + "/";
    Iterator<String> it = files.tailMap(prefix, true).keySet().iterator();
    while (it.hasNext()) {
      if (!it.next().startsWith(prefix)) {
        break;
      }
      it.remove();
    }
  }

  private void read(String shown, Path p, ParseContext ctx) {
    BasicFileAttributes attrs = attributes(p);
    ParsedFile pf = SpecParser.read(p, shown, ctx);
    files.put(
        shown,
        new Entry(
            p,
            attrs == null ? -1 : attrs.size(),
            attrs == null ? -1 : attrs.lastModifiedTime().toMillis(),
            pf));
  }

  private SpecSet revalidate(ParseContext ctx) {
    if (ctx != null) {
      packageStamps.putAll(ctx.packages.stamps());
    }
    List<ParsedFile> parsed = new ArrayList<>(files.size());
    for (Entry e : files.values()) {
      parsed.add(e.parsed());
    }
    current = SpecValidator.validate(parsed);
    return current;
  }

  private static boolean changed(Entry e) {
    BasicFileAttributes a = attributes(e.path());
    return a == null || a.size() != e.size() || a.lastModifiedTime().toMillis() != e.modified();
  }

  private Set<Path> changedPackages() {
    Set<Path> out = new HashSet<>();
    for (Map.Entry<Path, Long> e : packageStamps.entrySet()) {
      if (Packages.stamp(e.getKey()) != e.getValue()) {
        out.add(e.getKey());
      }
    }
    return out;
  }

  private static boolean uses(Entry e, Set<Path> packages) {
    if (packages.isEmpty()) {
      return false;
    }
    for (Path p : e.parsed().packages()) {
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

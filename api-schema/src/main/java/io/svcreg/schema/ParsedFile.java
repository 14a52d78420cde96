package io.svcreg.schema;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * One spec file read on its own: the resources it declares (valid or not), its problems, and
 * whether it could be read far enough to know everything it declares ({@code complete}). Checks
 * across resources happen in {@link SpecValidator}.
 */
public final class ParsedFile {

  private final String file;
  private final List<Declaration> declarations;
  private final List<Problem> problems;
  private final boolean complete;
  private final List<String> packages;

  /** Size and modification time of the file when read (kept by SpecCatalog); -1 if unknown. */
  long size = -1;

  long modified = -1;

  /** The file's documents as {@link Segments} (kept by SpecCatalog), or null. */
  Segments segments;

  ParsedFile(
      String file,
      List<Declaration> declarations,
      List<Problem> problems,
      boolean complete,
      List<String> packages) {
    this.file = file;
    this.declarations = List.copyOf(declarations);
    this.problems = List.copyOf(problems);
    this.complete = complete;
    this.packages = List.copyOf(packages);
  }

  /** A file that could not be read at all (missing, unreadable, not UTF-8, too large). */
  static ParsedFile unreadable(String file, String message) {
    return new ParsedFile(
        file, List.of(), List.of(new Problem(file, 0, 0, "", message)), false, List.of());
  }

  /** The file's name as shown in problems. */
  public String file() {
    return file;
  }

  /** The problems found in this file (and in the manifests of packages it uses). */
  public List<Problem> problems() {
    return problems;
  }

  /** Whether every document's kind and name are known. */
  public boolean complete() {
    return complete;
  }

  /** The keys this file declares, valid or not. */
  public Set<ResourceKey> keys() {
    Set<ResourceKey> keys = new TreeSet<>();
    for (Declaration d : declarations) {
      keys.add(d.key());
    }
    return keys;
  }

  /** The valid resources of this file, judged on their own (services' nodes unresolved). */
  List<Declaration> declarations() {
    return declarations;
  }

  /** The packages (absolute paths) whose manifests this file's services use. */
  List<String> packages() {
    return packages;
  }

  /**
   * The {@code spec.package} of each service of this file that could be read: valid, or invalid
   * only because of its package (see {@link SpecValidator}).
   */
  public List<PackageRef> packageRefs() {
    List<PackageRef> out = new ArrayList<>();
    for (Declaration d : declarations) {
      if (d.kind == Kind.SERVICE && d.checkable()) {
        out.add(
            new PackageRef(d.service().spec().packageRef(), d.locationOf(Declaration.P_PACKAGE)));
      }
    }
    return out;
  }

  /** Number of declared resources. */
  public int size() {
    return declarations.size();
  }

  @Override
  public String toString() {
    List<String> keys = new ArrayList<>();
    for (Declaration d : declarations) {
      keys.add(d.key().toString());
    }
    return "ParsedFile[" + file + ", " + keys + ", " + problems.size() + " problems]";
  }
}

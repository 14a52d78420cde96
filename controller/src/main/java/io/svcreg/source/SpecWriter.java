package io.svcreg.source;

import io.svcreg.core.SvcregException;
import io.svcreg.schema.ParsedFile;
import io.svcreg.schema.Problem;
import io.svcreg.schema.Resource;
import io.svcreg.schema.ResourceKey;
import io.svcreg.schema.SpecFiles;
import io.svcreg.schema.SpecParser;
import io.svcreg.schema.SpecSet;
import io.svcreg.schema.SpecValidator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * {@code apply}: validates new spec documents together with the spec directory's current files, and
 * only when that adds no problem writes them into the directory, each file atomically (see {@link
 * AtomicFiles}), so a watcher never reads a half-written spec.
 *
 * <p>Files keep their names ({@code apply -f api.yaml} writes {@code DIR/api.yaml}, replacing a
 * file of that name; a directory's spec files keep their paths below it). YAML text is split into
 * its documents, one file each: a document replaces the file that declares its resource when that
 * file declares nothing else, and otherwise goes to {@code DIR/<kind>-<name>.yaml} (lower case,
 * e.g. {@code service-api.yaml}). Problems name the applied files as the caller gave them (text as
 * {@code sourceName}), with their own lines and columns.
 *
 * <p>The packages that the applied specs refer to ({@code spec.package}, relative to the spec file)
 * come along: see {@link PackageCopies}. They are validated as they will be, and written before the
 * spec files, so a watcher that reads a new spec finds its package in place.
 *
 * <p>Applies are serialized within the process and, through the lock file {@value #LOCK_FILE} in
 * the spec directory (a dotfile, ignored by the loader), across processes. The lock file is removed
 * when the apply ends, done or refused, so none is left behind; an apply that was waiting for the
 * removed file notices (the file at that path is no longer the one it locked) and locks again.
 */
public final class SpecWriter {

  /** The lock file in the spec directory. */
  public static final String LOCK_FILE = ".svcreg-apply.lock";

  /** The name of applied text in problems when the caller gives none. */
  public static final String TEXT_SOURCE = "<input>";

  private static final ReentrantLock LOCK = new ReentrantLock();

  private SpecWriter() {}

  /**
   * A new file: how the caller names it, where it goes, the text parsed, the bytes written, its
   * parse when already done with the target's directory as base (else null), and where the caller
   * has the packages it refers to (by {@code spec.package}; null: the caller has none).
   */
  private record Incoming(
      String shown,
      Path target,
      String parseText,
      byte[] content,
      ParsedFile parsed,
      Function<String, Path> callersCopy) {}

  /** A spec file already in the directory. */
  private record Existing(Path path, byte[] content, ParsedFile parsed) {}

  /**
   * Applies spec files and directories to {@code specDir} (created if missing), with the packages
   * next to them that they refer to; see the class comment for where they go.
   */
  public static ApplyResult apply(List<Path> paths, Path specDir) {
    List<Problem> problems = new ArrayList<>();
    Map<Path, Path> sources = new LinkedHashMap<>();
    for (Path p : paths) {
      String shown = Shown.of(p);
      if (Files.isDirectory(p)) {
        List<Path> files;
        try {
          files = SpecFiles.walk(p);
        } catch (IOException e) {
          problems.add(fileProblem(shown, "cannot list directory: " + e.getMessage()));
          continue;
        }
        if (files.isEmpty()) {
          problems.add(fileProblem(shown, "no spec files (*.yaml, *.yml) in this directory"));
        }
        for (Path f : files) {
          target(sources, f, specDir.resolve(p.relativize(f).toString()), problems);
        }
      } else if (Files.isRegularFile(p)) {
        String name = p.getFileName().toString();
        if (!SpecFiles.isSpecName(name)) {
          problems.add(
              fileProblem(
                  shown,
                  "not a spec file name: it must end in .yaml or .yml and not start with `.` or"
                      + " `#` (the directory's loader would ignore it)"));
        } else {
          target(sources, p, specDir.resolve(name), problems);
        }
      } else {
        problems.add(fileProblem(shown, "no such file or directory"));
      }
    }
    List<Incoming> incoming = new ArrayList<>();
    for (Map.Entry<Path, Path> e : sources.entrySet()) {
      String shown = Shown.of(e.getKey());
      try {
        long size = Files.size(e.getKey());
        if (size > SpecParser.MAX_FILE_BYTES) {
          problems.add(fileProblem(shown, "file is larger than 128 MiB; split it"));
          continue;
        }
        byte[] bytes = Files.readAllBytes(e.getKey());
        String text = decode(bytes);
        Path from = key(e.getKey()).getParent();
        incoming.add(new Incoming(shown, e.getValue(), text, bytes, null, from::resolve));
      } catch (CharacterCodingException ex) {
        problems.add(fileProblem(shown, "not valid UTF-8 text"));
      } catch (IOException ex) {
        problems.add(fileProblem(shown, "cannot read file: " + ex.getMessage()));
      }
    }
    if (!problems.isEmpty()) {
      return ApplyResult.refused(problems);
    }
    return locked(specDir, existing -> validateAndWrite(existing, incoming, specDir));
  }

  /** Applies YAML text (named {@value #TEXT_SOURCE} in problems) to {@code specDir}. */
  public static ApplyResult apply(String yamlText, Path specDir) {
    return apply(TEXT_SOURCE, yamlText, specDir);
  }

  /**
   * Applies YAML text, named {@code sourceName} in problems, to {@code specDir}: one file per
   * document (see the class comment). Packages are resolved in the spec directory.
   */
  public static ApplyResult apply(String sourceName, String yamlText, Path specDir) {
    return apply(sourceName, yamlText, Map.of(), specDir);
  }

  /**
   * {@link #apply(String, String, Path)} with the packages the caller brings: by {@code
   * spec.package} exactly as written, the directory or archive that holds it (a reference the map
   * lacks is resolved in the spec directory).
   */
  public static ApplyResult apply(
      String sourceName, String yamlText, Map<String, Path> packages, Path specDir) {
    String text = yamlText.startsWith("\uFEFF") ? yamlText.substring(1) : yamlText;
    // As a document will read in the spec directory, with the packages the caller brings.
    Map<Path, Path> brought = new HashMap<>();
    for (Map.Entry<String, Path> e : packages.entrySet()) {
      brought.put(key(specDir).resolve(e.getKey()).normalize(), key(e.getValue()));
    }
    List<Document> docs = new ArrayList<>();
    List<Problem> problems = new ArrayList<>();
    for (Documents.Chunk c : Documents.split(text)) {
      // Padded with empty lines, so that problems point at the lines of the whole text.
      String parseText = "\n".repeat(c.firstLine() - 1) + c.text();
      ParsedFile pf = SpecParser.parse(sourceName, parseText, specDir, brought);
      problems.addAll(pf.problems());
      docs.add(new Document(c, parseText, pf));
    }
    if (!problems.isEmpty()) {
      return ApplyResult.refused(problems);
    }
    if (docs.stream().allMatch(d -> d.parsed().size() == 0)) {
      return ApplyResult.refused(
          List.of(
              fileProblem(
                  sourceName, "nothing to apply: expected documents of kind Network or Service")));
    }
    return locked(specDir, existing -> applyText(sourceName, docs, packages, existing, specDir));
  }

  /** One document of applied text, parsed on its own with the lines of the whole text. */
  private record Document(Documents.Chunk chunk, String parseText, ParsedFile parsed) {}

  private static ApplyResult applyText(
      String sourceName,
      List<Document> docs,
      Map<String, Path> packages,
      List<Existing> existing,
      Path specDir)
      throws IOException {
    Map<ResourceKey, List<Existing>> declaredIn = new HashMap<>();
    Map<Path, Existing> byPath = new HashMap<>();
    for (Existing e : existing) {
      byPath.put(key(e.path()), e);
      for (ResourceKey k : e.parsed().keys()) {
        declaredIn.computeIfAbsent(k, x -> new ArrayList<>()).add(e);
      }
    }
    List<Problem> problems = new ArrayList<>();
    List<Incoming> incoming = new ArrayList<>();
    for (Document doc : docs) {
      Documents.Chunk c = doc.chunk();
      Set<ResourceKey> keys = doc.parsed().keys();
      if (keys.isEmpty()) {
        continue;
      }
      if (keys.size() != 1) {
        problems.add(
            new Problem(
                sourceName,
                c.contentLine(),
                1,
                "",
                "cannot split this text into one document per resource; apply it as a file with"
                    + " -f"));
        continue;
      }
      ResourceKey k = keys.iterator().next();
      List<Existing> in = declaredIn.getOrDefault(k, List.of());
      Path target;
      if (in.size() > 1) {
        problems.add(
            new Problem(
                sourceName,
                c.contentLine(),
                1,
                "metadata.name",
                k
                    + " is already defined in several files ("
                    + String.join(", ", in.stream().map(e -> e.parsed().file()).toList())
                    + "); fix that first"));
        continue;
      } else if (in.size() == 1) {
        Existing e = in.get(0);
        if (!e.parsed().keys().equals(Set.of(k))) {
          problems.add(
              new Problem(
                  sourceName,
                  c.contentLine(),
                  1,
                  "metadata.name",
                  k
                      + " is declared in "
                      + e.parsed().file()
                      + " together with other resources; change it there, or apply that whole"
                      + " file with -f"));
          continue;
        }
        target = e.path();
      } else {
        target = specDir.resolve(fileName(k));
        Existing e = byPath.get(key(target));
        if (e != null && !Set.of(k).containsAll(e.parsed().keys())) {
          problems.add(
              new Problem(
                  sourceName,
                  c.contentLine(),
                  1,
                  "metadata.name",
                  k
                      + " would be written to "
                      + e.parsed().file()
                      + ", which declares "
                      + e.parsed().keys()
                      + "; rename that file first"));
          continue;
        }
      }
      String content = c.text().endsWith("\n") ? c.text() : c.text() + "\n";
      incoming.add(
          new Incoming(
              sourceName,
              target,
              doc.parseText(),
              content.getBytes(StandardCharsets.UTF_8),
              key(target.getParent()).equals(key(specDir)) ? doc.parsed() : null,
              packages::get));
    }
    if (!problems.isEmpty()) {
      return ApplyResult.refused(problems);
    }
    return validateAndWrite(existing, incoming, specDir);
  }

  /** The file a document of YAML text goes to by default: {@code <kind>-<name>.yaml}. */
  static String fileName(ResourceKey k) {
    return (k.kind().wireName() + "-" + k.name()).toLowerCase(Locale.ROOT) + ".yaml";
  }

  private static void target(Map<Path, Path> sources, Path from, Path to, List<Problem> problems) {
    for (Map.Entry<Path, Path> e : sources.entrySet()) {
      if (key(e.getValue()).equals(key(to))) {
        problems.add(
            fileProblem(
                Shown.of(from),
                "both "
                    + Shown.of(e.getKey())
                    + " and this file would be written to "
                    + Shown.of(to)));
        return;
      }
    }
    sources.put(from, to);
  }

  private static ApplyResult validateAndWrite(
      List<Existing> existing, List<Incoming> incoming, Path specDir) throws IOException {
    Set<Path> replaced = new HashSet<>();
    Set<Path> specFiles = new HashSet<>();
    for (Incoming in : incoming) {
      replaced.add(key(in.target()));
      specFiles.add(key(in.target()));
    }
    // Where it lands, each file refers to packages: planned first, then validated as they will be.
    List<ParsedFile> landed = new ArrayList<>();
    List<PackageCopies.Applied> applied = new ArrayList<>();
    for (Incoming in : incoming) {
      Path dir = in.target().getParent();
      ParsedFile pf =
          in.parsed() != null ? in.parsed() : SpecParser.parse(in.shown(), in.parseText(), dir);
      landed.add(pf);
      applied.add(
          new PackageCopies.Applied(in.shown(), key(dir), pf.packageRefs(), in.callersCopy()));
    }
    for (Existing e : existing) {
      specFiles.add(key(e.path()));
    }
    PackageCopies.Plan plan = PackageCopies.plan(key(specDir), applied, specFiles);
    List<ParsedFile> before = new ArrayList<>();
    List<ParsedFile> after = new ArrayList<>();
    Map<Path, Existing> existingByPath = new HashMap<>();
    for (Existing e : existing) {
      before.add(e.parsed());
      existingByPath.put(key(e.path()), e);
      if (!replaced.contains(key(e.path()))) {
        after.add(e.parsed());
      }
    }
    List<ParsedFile> incomingParsed = new ArrayList<>();
    List<Problem> problems = new ArrayList<>(plan.problems());
    for (int i = 0; i < incoming.size(); i++) {
      Incoming in = incoming.get(i);
      Map<Path, Path> at = plan.packagesAt().get(i);
      ParsedFile pf =
          at.isEmpty()
              ? landed.get(i)
              : SpecParser.parse(in.shown(), in.parseText(), in.target().getParent(), at);
      incomingParsed.add(pf);
      problems.addAll(pf.problems());
      after.add(pf);
    }
    SpecSet baseline = SpecValidator.validate(before);
    SpecSet proposed = SpecValidator.validate(after);
    Set<Problem> known = new HashSet<>(baseline.problems());
    Set<Problem> seen = new HashSet<>(problems);
    for (Problem p : proposed.problems()) {
      if (!known.contains(p) && seen.add(p)) {
        problems.add(p);
      }
    }
    if (!problems.isEmpty()) {
      return ApplyResult.refused(problems);
    }
    List<ApplyResult.Applied> outcomes =
        outcomes(baseline, proposed, incoming, incomingParsed, existingByPath, specDir);
    List<Path> packages = new ArrayList<>();
    for (PackageCopies.Copy c : plan.copies()) {
      try {
        PackageCopies.write(c);
      } catch (IOException e) {
        throw new SvcregException(
            "cannot write the package " + Shown.of(c.target()) + ": " + e.getMessage(), e);
      }
      packages.add(c.target());
    }
    List<Path> written = new ArrayList<>();
    for (Incoming in : incoming) {
      Existing old = existingByPath.get(key(in.target()));
      if (old != null && Arrays.equals(old.content(), in.content())) {
        continue;
      }
      try {
        AtomicFiles.write(in.target(), in.content());
      } catch (IOException e) {
        throw new SvcregException(
            "cannot write " + Shown.of(in.target()) + ": " + e.getMessage(), e);
      }
      written.add(in.target());
    }
    return new ApplyResult(outcomes, written, packages, List.of());
  }

  private static List<ApplyResult.Applied> outcomes(
      SpecSet baseline,
      SpecSet proposed,
      List<Incoming> incoming,
      List<ParsedFile> incomingParsed,
      Map<Path, Existing> existingByPath,
      Path specDir) {
    Map<ResourceKey, Resource> was = new HashMap<>();
    for (Resource r : baseline.resources()) {
      was.put(r.key(), r);
    }
    Map<ResourceKey, Resource> now = new HashMap<>();
    for (Resource r : proposed.resources()) {
      now.put(r.key(), r);
    }
    Set<ResourceKey> declaredBefore = new HashSet<>(baseline.held());
    declaredBefore.addAll(was.keySet());
    Map<ResourceKey, ApplyResult.Applied> out = new TreeMap<>();
    Set<ResourceKey> declaredNow = new HashSet<>();
    for (int i = 0; i < incoming.size(); i++) {
      Path file = incoming.get(i).target();
      for (ResourceKey k : incomingParsed.get(i).keys()) {
        declaredNow.add(k);
        Resource old = was.get(k);
        Resource fresh = now.get(k);
        ApplyResult.Outcome o;
        if (!declaredBefore.contains(k)) {
          o = ApplyResult.Outcome.CREATED;
        } else if (old != null && fresh != null && SpecTracker.same(old, fresh)) {
          o = ApplyResult.Outcome.UNCHANGED;
        } else {
          o = ApplyResult.Outcome.UPDATED;
        }
        out.put(k, new ApplyResult.Applied(k, o, file));
      }
    }
    for (Incoming in : incoming) {
      Existing old = existingByPath.get(key(in.target()));
      if (old == null) {
        continue;
      }
      for (ResourceKey k : old.parsed().keys()) {
        if (!declaredNow.contains(k) && !out.containsKey(k)) {
          out.put(k, new ApplyResult.Applied(k, ApplyResult.Outcome.REMOVED, in.target()));
        }
      }
    }
    return List.copyOf(out.values());
  }

  /** The function run under the apply lock, given the directory's current spec files. */
  private interface Locked {
    ApplyResult run(List<Existing> existing) throws IOException;
  }

  private static ApplyResult locked(Path specDir, Locked body) {
    LOCK.lock();
    try {
      boolean existed = Files.isDirectory(specDir);
      Files.createDirectories(specDir);
      Path lockFile = specDir.resolve(LOCK_FILE);
      while (true) {
        try (FileChannel ch =
            FileChannel.open(
                lockFile,
                StandardOpenOption.CREATE,
                StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
          ch.lock(); // released when the channel closes
          if (!stillAt(ch, lockFile)) {
            continue;
          }
          ApplyResult result;
          try {
            result = body.run(existing(specDir));
          } finally {
            // Removed while still locked: a waiting apply then finds it gone and locks anew.
            Files.deleteIfExists(lockFile);
          }
          if (!result.ok() && !existed) {
            deleteIfEmpty(specDir);
          }
          return result;
        }
      }
    } catch (IOException e) {
      throw new SvcregException(
          "cannot apply to the spec directory " + Shown.of(specDir) + ": " + e.getMessage(), e);
    } finally {
      LOCK.unlock();
    }
  }

  /**
   * Whether {@code lockFile} is still the file that {@code ch} has locked: a random token written
   * through the channel is read back through the path. False when the apply that held the lock
   * before removed the file meanwhile.
   */
  private static boolean stillAt(FileChannel ch, Path lockFile) throws IOException {
    byte[] token = UUID.randomUUID().toString().getBytes(StandardCharsets.US_ASCII);
    ch.truncate(0);
    ByteBuffer buf = ByteBuffer.wrap(token);
    while (buf.hasRemaining()) {
      ch.write(buf, buf.position());
    }
    try {
      return Arrays.equals(Files.readAllBytes(lockFile), token);
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  private static void deleteIfEmpty(Path dir) {
    try {
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // Not empty (someone else wrote into it meanwhile): it stays.
    }
  }

  private static List<Existing> existing(Path specDir) throws IOException {
    List<Existing> out = new ArrayList<>();
    for (Path f : SpecFiles.walk(specDir)) {
      String shown = Shown.of(f);
      byte[] bytes;
      String text;
      try {
        bytes = Files.readAllBytes(f);
        text = decode(bytes);
      } catch (IOException e) {
        // Unreadable now: judged as empty; the source reports it.
        bytes = new byte[0];
        text = "";
      }
      out.add(new Existing(f, bytes, SpecParser.parse(shown, text, f.getParent())));
    }
    return out;
  }

  private static Path key(Path p) {
    return p.toAbsolutePath().normalize();
  }

  private static Problem fileProblem(String file, String message) {
    return new Problem(file, 0, 0, "", message);
  }

  private static String decode(byte[] bytes) throws CharacterCodingException {
    String s =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(bytes))
            .toString();
    return s.startsWith("\uFEFF") ? s.substring(1) : s;
  }
}

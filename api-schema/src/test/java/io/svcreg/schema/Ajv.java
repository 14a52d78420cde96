package io.svcreg.schema;

import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The independent cross-check: {@code tools/node/validate-specs.mjs} (ajv, JSON Schema 2020-12, and
 * a YAML 1.2 parser), run with the {@code node} on PATH and the project's own {@code
 * tools/node/node_modules}. A missing node or node_modules fails the test; it never skips.
 */
final class Ajv {

  /** The outcome for one document of a file. */
  record Result(
      String file, int document, String kind, String name, boolean valid, List<Error> errors) {}

  /** One schema violation, at a field path in the loader's notation. */
  record Error(String path, int line, int column, String keyword, String message) {

    @Override
    public String toString() {
      return line + ":" + column + ": " + path + ": " + message + " (" + keyword + ")";
    }
  }

  private static final String INSTALL_HINT = "run tools/test, which installs them";

  private final Path root;
  private final Path node;

  private Ajv(Path root, Path node) {
    this.root = root;
    this.node = node;
  }

  /** The project root, as set by surefire/failsafe. */
  static Path projectRoot() {
    String root = System.getProperty("svcreg.project.root");
    if (root == null) {
      fail("system property svcreg.project.root is not set; run the tests with Maven");
    }
    return Path.of(root).toAbsolutePath().normalize();
  }

  /** Finds node and the installed packages, or fails saying how to install them. */
  static Ajv locate() {
    Path root = projectRoot();
    Path node =
        onPath("node")
            .orElseThrow(
                () ->
                    new AssertionError(
                        "node is not on PATH (needed for the ajv cross-check); " + INSTALL_HINT));
    Path modules = root.resolve("tools/node/node_modules");
    for (String pkg : List.of("ajv", "ajv-formats", "yaml")) {
      if (!Files.isRegularFile(modules.resolve(pkg).resolve("package.json"))) {
        fail(
            modules.resolve(pkg)
                + " is missing (the ajv cross-check's packages); "
                + INSTALL_HINT
                + " (cd tools/node && npm ci)");
      }
    }
    return new Ajv(root, node);
  }

  private static Optional<Path> onPath(String command) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, command);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** Validates every document of the files against a schema (a file name in the schema dir). */
  List<Result> validate(String schema, List<Path> files) {
    List<String> command = new ArrayList<>();
    command.add(node.toString());
    command.add(root.resolve("tools/node/validate-specs.mjs").toString());
    command.add("--schema");
    command.add(schema);
    files.forEach(f -> command.add(f.toString()));
    try {
      Path out = Files.createTempFile("ajv", ".jsonl");
      Path err = Files.createTempFile("ajv", ".err");
      try {
        Process p =
            new ProcessBuilder(command)
                .directory(root.toFile())
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          fail("validate-specs.mjs did not finish within 120 s");
        }
        String stderr = Files.readString(err, StandardCharsets.UTF_8);
        if (p.exitValue() > 1) {
          fail("validate-specs.mjs failed (exit " + p.exitValue() + "): " + stderr);
        }
        List<Result> results = new ArrayList<>();
        for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
          if (!line.isBlank()) {
            results.add(parse(line));
          }
        }
        return results;
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new SchemaException("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SchemaException("interrupted while running " + command, e);
    }
  }

  private static Result parse(String line) {
    try {
      return Json.mapper().readValue(line, Result.class);
    } catch (JsonProcessingException e) {
      throw new SchemaException("unexpected output of validate-specs.mjs: " + line, e);
    }
  }
}

package io.svcreg.schema;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A spec directory for tests: {@code specs/} with spec files, {@code packages/} with manifests. */
final class SpecDir {

  static final String LOCAL_NETWORK =
      """
      apiVersion: svcreg.io/v1
      kind: Network
      metadata: {name: dev}
      spec: {type: local, subnet: 127.0.10.0/24}
      """;

  final Path root;
  final Path specs;

  SpecDir(Path root) {
    this.root = root;
    this.specs = root.resolve("specs");
    try {
      Files.createDirectories(specs);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Adds package {@code packages/NAME} with a minimal manifest. */
  SpecDir pkg(String name, String version) {
    return manifest(name, "name: " + name + "\nversion: \"" + version + "\"\n");
  }

  /** Adds package {@code packages/NAME} with this manifest text. */
  SpecDir manifest(String name, String manifest) {
    write(root.resolve("packages").resolve(name).resolve("manifest.yaml"), manifest);
    return this;
  }

  /** Writes {@code specs/REL}. */
  Path file(String rel, String text) {
    Path p = specs.resolve(rel);
    write(p, text);
    return p;
  }

  /** Loads {@code specs/}. */
  SpecSet load() {
    return SpecLoader.load(List.of(specs));
  }

  /** How {@code specs/REL} is named in problems. */
  String shown(String rel) {
    return specs.resolve(rel).toString();
  }

  /** A service document on network {@code dev} using package {@code ../packages/NAME}. */
  static String service(String name, String version, String extraSpec) {
    return "apiVersion: svcreg.io/v1\n"
        + "kind: Service\n"
        + "metadata: {name: "
        + name
        + "}\n"
        + "spec:\n"
        + "  version: \""
        + version
        + "\"\n"
        + "  package: ../packages/"
        + name
        + "\n"
        + "  network: dev\n"
        + extraSpec;
  }

  static void write(Path p, String text) {
    try {
      Files.createDirectories(p.getParent());
      Files.writeString(p, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

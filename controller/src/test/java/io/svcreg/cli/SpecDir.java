package io.svcreg.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A small desired state written into a test's temporary directory: network {@code local}
 * (127.0.0.0/24, 127.0.0.1 reserved) and services {@code db} ← {@code api} ← {@code web}, with
 * their packages (and one for a service {@code cache}) beside the spec directory.
 */
final class SpecDir {

  private final Path root;

  private SpecDir(Path root) {
    this.root = root;
  }

  /** Writes the specs and packages under {@code tmp}. */
  static SpecDir write(Path tmp) {
    SpecDir d = new SpecDir(tmp);
    for (String name : new String[] {"db", "api", "web", "cache"}) {
      d.pkg(name);
    }
    d.spec(
        "network.yaml",
        """
        apiVersion: svcreg.io/v1
        kind: Network
        metadata: {name: local}
        spec:
          type: local
          subnet: 127.0.0.0/24
          reserved: [127.0.0.1]
        """);
    d.spec(
        "services.yaml",
        """
        apiVersion: svcreg.io/v1
        kind: Service
        metadata: {name: db}
        spec:
          version: "1.0.0"
          package: ../packages/db
          network: local
          endpoints: [{name: tcp, port: 5432, protocol: tcp}]
        ---
        apiVersion: svcreg.io/v1
        kind: Service
        metadata: {name: api}
        spec:
          version: "1.0.0"
          package: ../packages/api
          network: local
          endpoints: [{name: http, port: 8080, protocol: http}]
          dependsOn: [db]
        ---
        apiVersion: svcreg.io/v1
        kind: Service
        metadata: {name: web}
        spec:
          version: "1.0.0"
          package: ../packages/web
          network: local
          endpoints: [{name: http, port: 8080, protocol: http}]
          dependsOn: [api]
          env: {MODE: blue}
        """);
    return d;
  }

  /** The spec directory. */
  Path specs() {
    return root.resolve("specs");
  }

  /** Writes (or replaces) a spec file and returns its path. */
  Path spec(String file, String text) {
    try {
      Path p = specs().resolve(file);
      Files.createDirectories(p.getParent());
      return Files.writeString(p, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Replaces {@code from} by {@code to} in a spec file. */
  void edit(String file, String from, String to) {
    try {
      Path p = specs().resolve(file);
      String text = Files.readString(p);
      if (!text.contains(from)) {
        throw new IllegalArgumentException(file + " does not contain " + from);
      }
      Files.writeString(p, text.replace(from, to));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void pkg(String name) {
    try {
      Path dir = Files.createDirectories(root.resolve("packages").resolve(name));
      Files.writeString(
          dir.resolve("manifest.yaml"),
          """
          name: %s
          version: "1.0.0"
          description: test package %s
          """
              .formatted(name, name));
      Path scripts = Files.createDirectories(dir.resolve("scripts"));
      Files.writeString(scripts.resolve("start.sh"), "#!/bin/sh\nexit 0\n");
      Files.writeString(scripts.resolve("stop.sh"), "#!/bin/sh\nexit 0\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

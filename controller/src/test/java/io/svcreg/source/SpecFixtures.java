package io.svcreg.source;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Spec documents and package directories for tests. */
public final class SpecFixtures {

  private SpecFixtures() {}

  /** A local network {@code name} on 127.0.0.0/8. */
  public static String network(String name) {
    return """
        apiVersion: svcreg.io/v1
        kind: Network
        metadata: {name: %s}
        spec: {type: local, subnet: 127.0.0.0/8}
        """
        .formatted(name);
  }

  /** A service on network {@code net}, using package {@code ../packages/<name>} or {@code pkg}. */
  static String service(String name, String net, String pkg, String version) {
    return """
        apiVersion: svcreg.io/v1
        kind: Service
        metadata: {name: %s}
        spec:
          version: "%s"
          package: %s
          network: %s
        """
        .formatted(name, version, pkg, net);
  }

  static String service(String name, String net, String pkg, String version, String dependsOn) {
    return service(name, net, pkg, version) + "  dependsOn: [" + dependsOn + "]\n";
  }

  /** Creates {@code root/packages/<name>} with a manifest for {@code name} at {@code version}. */
  static Path pkg(Path root, String name, String version) {
    Path dir = root.resolve("packages").resolve(name);
    write(dir.resolve("manifest.yaml"), "name: " + name + "\nversion: \"" + version + "\"\n");
    return dir;
  }

  static Path write(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text, StandardCharsets.UTF_8);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

package io.svcreg.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.Service;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A spec source keeps the package manifests across restarts, and reads a changed one again. */
class SpecSourceManifestCacheIT {

  @TempDir Path tmp;
  Path specs;
  Path manifest;
  Path cache;

  @BeforeEach
  void setUp() throws IOException {
    specs = Files.createDirectories(tmp.resolve("specs"));
    Files.writeString(
        specs.resolve("all.yaml"),
        """
        apiVersion: svcreg.io/v1
        kind: Network
        metadata: {name: dev}
        spec: {type: local, subnet: 127.0.10.0/24}
        ---
        apiVersion: svcreg.io/v1
        kind: Service
        metadata: {name: web}
        spec:
          version: "1"
          package: ../packages/web
          network: dev
        """);
    manifest = tmp.resolve("packages/web/manifest.yaml");
    Files.createDirectories(manifest.getParent());
    Files.writeString(
        manifest,
        """
        name: web
        version: "1"
        service:
          ports:
            - {name: http, port: 8080, protocol: http}
        """);
    cache = tmp.resolve("data/manifests.cache");
    Files.createDirectories(cache.getParent());
  }

  /** The first reading's port of {@code web}, by a source started and stopped as serve does. */
  private int portAfterStart() {
    List<SpecUpdate> updates = new CopyOnWriteArrayList<>();
    try (SpecSource s =
        SpecSource.start(specs, SpecSource.Options.DEFAULTS, Optional.of(cache), updates::add)) {
      Service web = updates.getFirst().effective().services().getFirst();
      return web.spec().endpoints().getFirst().port();
    }
  }

  @Test
  void close_thenStart_keepsTheManifestsAndReadsAChangedOneAgain() throws IOException {
    assertThat(portAfterStart()).isEqualTo(8080);
    assertThat(cache).as("written when the source closed").isRegularFile();
    long written = Files.getLastModifiedTime(cache).toMillis();

    assertThat(portAfterStart()).isEqualTo(8080);
    assertThat(Files.getLastModifiedTime(cache).toMillis())
        .as("nothing changed: not rewritten")
        .isEqualTo(written);

    Files.writeString(manifest, Files.readString(manifest).replace("8080", "9090"));
    Files.setLastModifiedTime(
        manifest, FileTime.fromMillis(Files.getLastModifiedTime(manifest).toMillis() + 1000));
    assertThat(portAfterStart()).isEqualTo(9090);
  }
}

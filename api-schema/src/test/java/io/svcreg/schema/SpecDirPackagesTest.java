package io.svcreg.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A spec directory that holds its packages (as examples/ does): their YAML files are no specs. */
class SpecDirPackagesTest {

  @TempDir Path dir;
  private Path manifest;

  @BeforeEach
  void write() throws IOException {
    Files.writeString(
        dir.resolve("services.yaml"),
        """
        apiVersion: svcreg.io/v1
        kind: Network
        metadata: {name: local}
        spec: {type: local, subnet: 127.0.0.0/24}
        ---
        apiVersion: svcreg.io/v1
        kind: Service
        metadata: {name: api}
        spec: {version: "1.0.0", package: packages/api, network: local}
        """);
    Path pkg = Files.createDirectories(dir.resolve("packages/api"));
    Files.createDirectories(pkg.resolve("config"));
    manifest = Files.writeString(pkg.resolve("manifest.yaml"), "name: api\nversion: \"1.0.0\"\n");
    Files.writeString(pkg.resolve("config/app.yml"), "server: {port: 8080}\n");
  }

  @Test
  void load_specDirWithPackages_readsOnlyTheSpecs() {
    SpecSet set = SpecLoader.load(List.of(dir));

    assertThat(set.problems()).isEmpty();
    assertThat(set.files()).hasSize(1);
    assertThat(set.services()).extracting(Resource::name).containsExactly("api");
  }

  @Test
  void update_manifestInSpecDir_isNotReadAsASpec() throws IOException {
    SpecCatalog catalog = new SpecCatalog(List.of(dir));
    catalog.rescan();
    Files.writeString(manifest, "name: api\nversion: \"1.0.0\"\ndescription: changed\n");

    SpecSet set = catalog.update(manifest);

    assertThat(set.problems()).isEmpty();
    assertThat(set.files()).hasSize(1);
  }
}

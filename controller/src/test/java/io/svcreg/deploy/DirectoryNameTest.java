package io.svcreg.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DirectoryNameTest {

  @ParameterizedTest
  @CsvSource({
    "api-server, 1.2.3, api-server-1.2.3",
    "store, 1.0.0-rc_1, store-1.0.0-rc_1",
    "store, 1.0+build.7, store-1.0_build.7",
    "we.ird/name, 2, we_ird_name-2",
    "store, ../../etc, store-_._.._etc",
    "store, .hidden, store-_hidden",
  })
  void directoryName_nameAndVersion_areSanitized(String service, String version, String dir) {
    assertThat(InstallLayout.directoryName(service, version)).isEqualTo(dir);
  }

  @ParameterizedTest
  @CsvSource({"'', 1", "store, ''"})
  void directoryName_empty_isRejected(String service, String version) {
    assertThatThrownBy(() -> InstallLayout.directoryName(service, version))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

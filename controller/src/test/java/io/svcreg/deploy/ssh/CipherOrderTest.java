package io.svcreg.deploy.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CipherOrderTest {

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        // TieredCompilation | TieredStopAtLevel | CompilationMode | UseAES | AES compiled
        "true  | 4 | default    | true  | true", // the JVM's default
        "true  | 1 | default    | true  | false", // svcreg serve: C1 only
        "true  | 3 | default    | true  | false",
        "false | 1 | default    | true  | true", // C2 only: the tier limit does not apply
        "true  | 4 | quick-only | true  | false",
        "true  | 4 | high-only  | true  | true",
        "true  | 4 | default    | false | false", // a CPU without AES instructions
      })
  void aesCompiled_followsTheJitAndTheCpu(
      String tiered, String stopAt, String mode, String useAes, boolean expected) {
    Map<String, String> options =
        Map.of(
            "TieredCompilation",
            tiered,
            "TieredStopAtLevel",
            stopAt,
            "CompilationMode",
            mode,
            "UseAES",
            useAes);

    assertThat(CipherOrder.aesCompiled(options::get)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void of_putsTheFastCipherFirstAndOffersTheSameCiphers(boolean aesCompiled) {
    assertThat(CipherOrder.of(aesCompiled).getFirst())
        .isEqualTo(aesCompiled ? "aes128-gcm@openssh.com" : "chacha20-poly1305@openssh.com");
    assertThat(CipherOrder.of(aesCompiled))
        .containsExactlyInAnyOrderElementsOf(CipherOrder.of(!aesCompiled));
  }

  @ParameterizedTest
  @ValueSource(strings = {"TieredCompilation", "TieredStopAtLevel", "CompilationMode", "UseAES"})
  void vmOption_theOptionsLookedUpExistInThisJvm(String name) {
    // a renamed option would silently fall back to the AES-first order
    assertThat(CipherOrder.vmOption(name)).isNotBlank();
  }

  @Test
  void aesCompiled_aJvmThatDoesNotTell_isTakenToCompileIt() {
    assertThat(CipherOrder.vmOption("NoSuchOption")).isNull();
    assertThat(CipherOrder.aesCompiled(n -> null)).isTrue();
  }
}

package io.svcreg.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CipherSuitesTest {

  @Test
  void aeadCipherSuites_aesNotCompiled_chaCha20First() {
    List<String> suites = ApiServer.aeadCipherSuites(false);

    assertThat(suites.getFirst()).isEqualTo("TLS_CHACHA20_POLY1305_SHA256");
    assertThat(suites).contains("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384");
    assertThat(suites).allMatch(s -> s.contains("_GCM_") || s.contains("_CHACHA20_POLY1305_"));
  }

  @Test
  void aeadCipherSuites_aesCompiled_aesGcmFirst() {
    List<String> suites = ApiServer.aeadCipherSuites(true);

    assertThat(suites.getFirst()).startsWith("TLS_AES_").contains("_GCM_");
    assertThat(suites).contains("TLS_CHACHA20_POLY1305_SHA256");
  }
}

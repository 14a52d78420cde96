package io.svcreg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HostPortTest {

  @ParameterizedTest
  @CsvSource({
    "127.0.0.1:9443, 127.0.0.1, 9443",
    "localhost:0, localhost, 0",
    "'[::1]:8443', ::1, 8443",
    "0.0.0.0:65535, 0.0.0.0, 65535"
  })
  void parse_valid_hostAndPort(String text, String host, int port) {
    assertThat(HostPort.parse(text)).contains(new HostPort(host, port));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"9443", ":9443", "127.0.0.1:", "127.0.0.1:x", "::1:9443", "h:65536", "h:-1"})
  void parse_invalid_empty(String text) {
    assertThat(HostPort.parse(text)).isEmpty();
  }
}

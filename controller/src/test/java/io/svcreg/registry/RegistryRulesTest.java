package io.svcreg.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.svcreg.store.RegistryEntry;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RegistryRulesTest {

  static Registry.Publish one(String module, RegistryEntry.Api api) {
    return new Registry.Publish(module, Optional.empty(), List.of(api), Optional.empty());
  }

  static RegistryEntry.Api api(String address, int port, String protocol) {
    return new RegistryEntry.Api("a", List.of("s1"), address, port, protocol);
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1", "10.1.2.3", "::1", "fe80::1", "::ffff:10.0.0.1"})
  void check_ipLiterals_accepted(String address) {
    assertThatCode(
            () -> RegistryRules.check(one("m", api(address, 1, "tcp")), Registry.Options.DEFAULTS))
        .doesNotThrowAnyException();
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost", "256.1.1.1", "1.2.3", "example.com", "1.2.3.4:80", ":"})
  void check_notAnIpLiteral_refused(String address) {
    assertThatThrownBy(
            () -> RegistryRules.check(one("m", api(address, 1, "tcp")), Registry.Options.DEFAULTS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not an IPv4 or IPv6 address");
  }

  @ParameterizedTest
  @CsvSource({
    "'', expected 1 to 128 letters",
    "-lead, expected 1 to 128 letters",
    "has space, expected 1 to 128 letters",
    "a/b, expected 1 to 128 letters"
  })
  void check_badModule_refused(String module, String message) {
    assertThatThrownBy(
            () ->
                RegistryRules.check(
                    one(module, api("127.0.0.1", 1, "tcp")), Registry.Options.DEFAULTS))
        .hasMessageContaining(message);
  }

  @Test
  void check_noApisOrTooMany_refused() {
    Registry.Publish none =
        new Registry.Publish("m", Optional.empty(), List.of(), Optional.empty());
    Registry.Publish many =
        new Registry.Publish(
            "m",
            Optional.empty(),
            Collections.nCopies(65, api("127.0.0.1", 1, "tcp")),
            Optional.empty());

    assertThatThrownBy(() -> RegistryRules.check(none, Registry.Options.DEFAULTS))
        .hasMessageContaining("expected 1 to 64 apis, got 0");
    assertThatThrownBy(() -> RegistryRules.check(many, Registry.Options.DEFAULTS))
        .hasMessageContaining("got 65");
  }

  @Test
  void check_sameApiNameTwice_refused() {
    Registry.Publish twice =
        new Registry.Publish(
            "m",
            Optional.empty(),
            List.of(api("127.0.0.1", 1, "tcp"), api("127.0.0.1", 2, "tcp")),
            Optional.empty());

    assertThatThrownBy(() -> RegistryRules.check(twice, Registry.Options.DEFAULTS))
        .hasMessageContaining("given twice");
  }

  @Test
  void check_ttlOutOfRange_refusedWithTheRange() {
    Registry.Publish longTtl =
        new Registry.Publish(
            "m",
            Optional.empty(),
            List.of(api("127.0.0.1", 1, "tcp")),
            Optional.of(Duration.ofHours(25)));

    assertThatThrownBy(() -> RegistryRules.check(longTtl, Registry.Options.DEFAULTS))
        .hasMessage("ttl 25h: expected 1s to 24h");
  }

  @Test
  void api_protocol_sharedWireName() {
    assertThat(api("127.0.0.1", 1, new String("grpc")).protocol()).isSameAs("grpc");
  }
}

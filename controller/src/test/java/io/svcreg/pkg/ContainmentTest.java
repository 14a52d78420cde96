package io.svcreg.pkg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The one walk that judges where a package's symbolic links lead, on a tree given as a map. */
class ContainmentTest {

  private static Optional<String> escape(String link, Map<String, String> links)
      throws IOException {
    return Containment.escape(link, path -> Optional.ofNullable(links.get(path)));
  }

  static Stream<Arguments> trees() {
    return Stream.of(
        Arguments.of("sibling", Map.of("bin/sh", "busybox"), "bin/sh", ""),
        Arguments.of("down and up inside", Map.of("d/l", "../e/./f//g"), "d/l", ""),
        Arguments.of("to the root", Map.of("d/root", ".."), "d/root", ""),
        Arguments.of(
            "one level up from the root",
            Map.of("up", "../outside"),
            "up",
            "points outside the package (via ../outside)"),
        Arguments.of("absolute", Map.of("etc", "/etc"), "etc", "points to the absolute path /etc"),
        Arguments.of(
            "chain through a link to ..",
            Map.of("sub/a", "..", "b", "sub/a/.."),
            "b",
            "points outside the package (via sub/a/..)"),
        Arguments.of(
            "chain to an absolute link",
            Map.of("a", "b", "b", "/etc"),
            "a",
            "leads to the absolute path /etc"),
        Arguments.of(
            "loop", Map.of("x", "y", "y", "x"), "x", "is part of a loop of symbolic links"),
        Arguments.of("dangling", Map.of("l", "missing/file"), "l", ""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("trees")
  void escape_tree_saysWhereTheLinkLeads(
      String name, Map<String, String> links, String link, String why) throws IOException {
    assertThat(escape(link, links).orElse("")).isEqualTo(why);
  }

  @Test
  void escape_longChains_areLoopsBeyondTheLimit() throws IOException {
    assertThat(escape("l0", chain(Containment.MAX_HOPS))).isEmpty();
    assertThat(escape("l0", chain(2 * Containment.MAX_HOPS)))
        .contains("is part of a loop of symbolic links");
  }

  /** Links {@code l0 -> l1 -> ...}, {@code length} of them, the last one dangling. */
  private static Map<String, String> chain(int length) {
    Map<String, String> links = new HashMap<>();
    for (int i = 0; i < length; i++) {
      links.put("l" + i, "l" + (i + 1));
    }
    return links;
  }

  @Test
  void escape_notALink_isRejected() {
    assertThatThrownBy(() -> escape("file", Map.of())).isInstanceOf(IllegalArgumentException.class);
  }
}

package io.svcreg;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class MainTest {

  @Test
  void colorWanted_terminal_isTrue() {
    assertThat(Main.colorWanted(Map.of("TERM", "xterm-256color"), true)).isTrue();
  }

  @Test
  void colorWanted_notATerminal_isFalse() {
    assertThat(Main.colorWanted(Map.of(), false)).isFalse();
  }

  @Test
  void colorWanted_noColorSet_isFalseEvenOnATerminal() {
    assertThat(Main.colorWanted(Map.of("NO_COLOR", "1"), true)).isFalse();
  }

  @Test
  void colorWanted_noColorEmpty_isIgnoredAsTheConventionSays() {
    assertThat(Main.colorWanted(Map.of("NO_COLOR", ""), true)).isTrue();
  }

  @Test
  void colorWanted_dumbTerminal_isFalse() {
    assertThat(Main.colorWanted(Map.of("TERM", "dumb"), true)).isFalse();
  }

  @Test
  void stdoutIsTerminal_launcherSaysNo_isFalse() {
    String before = System.getProperty("svcreg.stdout.tty");
    System.setProperty("svcreg.stdout.tty", "false");
    try {
      assertThat(Main.stdoutIsTerminal()).isFalse();
    } finally {
      if (before == null) {
        System.clearProperty("svcreg.stdout.tty");
      } else {
        System.setProperty("svcreg.stdout.tty", before);
      }
    }
  }
}

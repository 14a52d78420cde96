package io.svcreg.deploy.local;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcFsTest {

  @Test
  void parse_commandWithSpacesAndParentheses_readsFieldsAfterIt() {
    String stat = "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 96 0 0 0 0 0 0 0 20 0 1 0 123";

    assertThat(ProcFs.parse(4242, stat)).contains(new ProcFs.Stat(4242, 'S', 1, 4242, 4242));
  }

  @Test
  void parse_zombie_isMarkedAsSuch() {
    assertThat(ProcFs.parse(7, "7 (sleep) Z 1 7 7 0").orElseThrow().zombie()).isTrue();
  }

  @Test
  void parse_garbage_isEmpty() {
    assertThat(ProcFs.parse(1, "nonsense")).isEmpty();
    assertThat(ProcFs.parse(1, "1 (x) S a b c")).isEmpty();
  }

  @Test
  void exists_thisProcess_isTrue() {
    assertThat(ProcFs.exists(ProcessHandle.current().pid())).isTrue();
  }

  @Test
  void parseEnvironment_nulSeparatedEntries_splitsAtTheFirstEquals() {
    byte[] environ = "A=1\0SERVICE_HOME=/opt/x-1\0EQ=a=b\0\0junk\0".getBytes(UTF_8);

    assertThat(ProcFs.parseEnvironment(environ))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("A", "1", "SERVICE_HOME", "/opt/x-1", "EQ", "a=b"));
  }

  @Test
  void environment_thisProcess_hasItsVariables() {
    assertThat(ProcFs.environment(ProcessHandle.current().pid()))
        .containsEntry("PATH", System.getenv("PATH"));
  }
}

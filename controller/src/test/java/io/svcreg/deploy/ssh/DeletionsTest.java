package io.svcreg.deploy.ssh;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.deploy.DirectoryInUse;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DeletionsTest {

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(UTF_8));
  }

  @Test
  void parse_processFoundSeveralWays_isOneHolderWithEveryWay() {
    String out =
        "held 42 recorded "
            + b64("sleep 1000 ")
            + " /opt/my root/web-1\n"
            + "held 42 cwd "
            + b64("sleep 1000 ")
            + " /opt/my root/web-1\n"
            + "held 43 exe  /opt/my root/web-1\n"
            + "environ 42 "
            + b64("SERVICE_NAME=web\0GREETING=a b\0")
            + " /opt/my root/web-1\n"
            + "kept /opt/my root/web-1\n"
            + "removed /opt/my root/web-2\n"
            + "failed /opt/my root/.old.web.7\n";

    Deletions.Result r = Deletions.parse(out);

    assertThat(r.kept())
        .isEqualTo(
            Map.of(
                "/opt/my root/web-1",
                List.of(
                    new DirectoryInUse.Holder(42, "sleep 1000", "cwd,recorded"),
                    new DirectoryInUse.Holder(43, "?", "exe"))));
    assertThat(r.recorded())
        .isEqualTo(
            Map.of(
                "/opt/my root/web-1",
                new Deletions.Recorded(42, Map.of("SERVICE_NAME", "web", "GREETING", "a b"))));
    assertThat(r.removed()).containsExactly("/opt/my root/web-2");
    assertThat(r.failed()).containsExactly("/opt/my root/.old.web.7");
  }

  @Test
  void then_directoryDeletedOnTheSecondTry_isNoLongerKept() {
    Deletions.Result first =
        Deletions.parse("held 42 recorded  /r/a-1\nkept /r/a-1\nkept /r/a-2\n");

    Deletions.Result both = first.then(Deletions.parse("removed /r/a-1\n"));

    assertThat(both.removed()).containsExactly("/r/a-1");
    assertThat(both.kept()).containsOnlyKeys("/r/a-2");
    assertThat(both.recorded()).isEmpty();
  }

  @Test
  void delete_quotesTheDirectoryAndPassesTheMoveTarget() {
    assertThat(Deletions.delete("/opt/it's-1", Optional.of("\"$root/.old.x.$$\""), true))
        .isEqualTo("del '/opt/it'\"'\"'s-1' \"$root/.old.x.$$\" 1\n");
    assertThat(Deletions.delete("/opt/x", Optional.empty(), false))
        .isEqualTo("del '/opt/x' '' 0\n");
  }
}

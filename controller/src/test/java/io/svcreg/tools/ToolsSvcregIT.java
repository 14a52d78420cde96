package io.svcreg.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.client.LiveApi;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tools/svcreg as a user runs it: a process, from the repository root or elsewhere. */
class ToolsSvcregIT {

  private static final Path ROOT = Proc.projectRoot();
  private static final Path SVCREG = ROOT.resolve("tools/svcreg");

  @TempDir Path tmp;

  private static Proc svcreg(Path cwd, Map<String, String> env, String... args) {
    List<String> command = new java.util.ArrayList<>(List.of(SVCREG.toString()));
    command.addAll(List.of(args));
    return Proc.run(cwd, env, 300, command);
  }

  @Test
  void validate_examplesAndManifests_areValid() {
    Proc p = svcreg(ROOT, Map.of(), "validate", "examples", "manifests");

    assertThat(p.exitCode()).as(p.stdout() + p.stderr()).isZero();
    assertThat(p.stdout()).matches("\\d+ files, \\d+ resources: valid\n");
  }

  @Test
  void plan_examples_showsTheQuickStartAndExits1() {
    Proc p = svcreg(ROOT, Map.of(), "plan", "--specs", "examples");

    assertThat(p.exitCode()).as(p.stdout() + p.stderr()).isEqualTo(1);
    assertThat(p.stdout())
        .contains("+ Network/local")
        .contains("+ Service/web")
        .contains("address 127.0.0.")
        .contains("Wave 1:")
        .containsPattern("Plan: \\d+ to create, 0 to update, 0 to delete, 0 unchanged\\.\n$");
    assertThat(p.stdout()).as("no colour when stdout is not a terminal").doesNotContain("\u001b[");
    assertThat(p.stderr()).isEmpty();
  }

  @Test
  void plan_fromAnotherDirectory_takesPathsRelativeToIt() throws IOException {
    Path specs = Files.createDirectories(tmp.resolve("my specs"));
    Files.writeString(
        specs.resolve("net.yaml"),
        """
        apiVersion: svcreg.io/v1
        kind: Network
        metadata: {name: lab}
        spec: {type: local, subnet: 127.0.0.0/24}
        """);

    Proc p = svcreg(tmp, Map.of(), "plan", "--specs", "my specs", "-o", "json");

    assertThat(p.exitCode()).as(p.stdout() + p.stderr()).isEqualTo(1);
    assertThat(p.stdout()).contains("\"key\": \"Network/lab\"");
  }

  @Test
  void plan_brokenSpec_exits2WithLocatedProblemAndNoStackTrace() throws IOException {
    Path specs = Files.createDirectories(tmp.resolve("specs"));
    Files.writeString(
        specs.resolve("net.yaml"),
        """
        apiVersion: svcreg.io/v1
        kind: Network
        metadata: {name: lab}
        spec: {type: local, subnet: 127.0.0.0/33}
        """);

    Proc p = svcreg(tmp, Map.of(), "plan", "--specs", "specs");

    assertThat(p.exitCode()).isEqualTo(2);
    assertThat(p.stderr())
        .startsWith("specs/net.yaml:4:")
        .contains("spec.subnet")
        .doesNotContain("Exception")
        .doesNotContain("\tat ");
  }

  @Test
  void plan_onATerminal_isColoured() {
    Proc p = onTerminal(Map.of(), "tools/svcreg plan --specs examples");

    assertThat(p.stdout()).as(p.stderr()).contains("\u001b[32m+\u001b[0m");
  }

  @Test
  void plan_onATerminalWithNoColor_isPlain() {
    Proc p = onTerminal(Map.of("NO_COLOR", "1"), "tools/svcreg plan --specs examples");

    assertThat(p.stdout()).as(p.stderr()).contains("+ Service/web").doesNotContain("\u001b[");
  }

  /** Runs a shell command with a pseudo-terminal as its stdout (util-linux {@code script}). */
  private static Proc onTerminal(Map<String, String> env, String command) {
    return Proc.run(ROOT, env, 300, List.of("script", "-qec", command, "/dev/null"));
  }

  @Test
  void clientCommands_inTheServersDirectory_needNoFlags() {
    try (LiveApi live = LiveApi.start(tmp, ".svcreg")) {
      Proc get = svcreg(tmp, Map.of(), "get", "services");
      Proc watch = svcreg(tmp, Map.of(), "watch", "--count", "1", "-o", "json");
      Proc plan = svcreg(tmp, Map.of(), "plan");

      assertThat(get.exitCode()).as(get.stdout() + get.stderr()).isZero();
      assertThat(get.stdout()).containsPattern("(?m)^web +running");
      assertThat(watch.exitCode()).as(watch.stderr()).isZero();
      assertThat(watch.stdout()).startsWith("{").contains("\"event\":\"registry_loaded\"");
      assertThat(plan.exitCode()).as(plan.stdout() + plan.stderr()).isIn(0, 1);
    }
  }

  @Test
  void clientCommands_environment_pointAtTheServer() throws IOException {
    try (LiveApi live = LiveApi.start(tmp)) {
      Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
      Map<String, String> env =
          Map.of(
              "SVCREG_SERVER", live.url().toString(),
              "SVCREG_CA", live.data().resolve("tls/ca.crt").toString(),
              "SVCREG_TOKEN", live.data().resolve("tokens/read.token").toString());

      Proc get = svcreg(elsewhere, env, "get", "endpoints", "web");
      Proc action = svcreg(elsewhere, env, "action", "web", "restart");

      assertThat(get.exitCode()).as(get.stdout() + get.stderr()).isZero();
      assertThat(get.stdout()).containsPattern("(?m)^web +http +127\\.0\\.0\\.\\d+ +8080");
      assertThat(action.exitCode()).isEqualTo(2);
      assertThat(action.stderr()).startsWith("svcreg action: ").contains("(forbidden)");
      assertThat(action.stderr().lines().count()).isOne();
    }
  }

  @Test
  void get_noServerRunning_isOneLineSayingWhatToDo() {
    Proc p = svcreg(tmp, Map.of(), "get", "services");

    assertThat(p.exitCode()).isEqualTo(2);
    assertThat(p.stderr())
        .startsWith("svcreg get: no server given and no .svcreg/api.url")
        .contains("--server")
        .doesNotContain("Exception");
    assertThat(p.stderr().lines().count()).isOne();
  }

  @Test
  void badFlag_exits2WithUsageHint() {
    Proc p = svcreg(ROOT, Map.of(), "validate", "--strict", "examples");

    assertThat(p.exitCode()).isEqualTo(2);
    assertThat(p.stderr())
        .isEqualTo("svcreg validate: unknown option '--strict'\nsee `svcreg validate --help`\n");
  }
}

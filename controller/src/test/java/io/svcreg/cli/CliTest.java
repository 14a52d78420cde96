package io.svcreg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.Main;
import io.svcreg.core.Plan;
import io.svcreg.schema.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CliTest {

  /** {@code file:line:column: path: message}, as compilers print. */
  private static final Pattern PROBLEM_LINE = Pattern.compile("^\\S+:\\d+:\\d+: .+$");

  @TempDir Path tmp;
  private SpecDir dir;

  @BeforeEach
  void setUp() {
    dir = SpecDir.write(tmp);
  }

  private static void assertNoStackTrace(CliRun run) {
    assertThat(run.out() + run.err())
        .as(run.toString())
        .doesNotContain("\tat ")
        .doesNotContain("Exception");
  }

  @Test
  void validate_validSpecs_exits0WithCounts() {
    CliRun run = CliRun.of("validate", dir.specs().toString());

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(Cli.OK);
    assertThat(run.out()).isEqualTo("2 files, 4 resources: valid\n");
    assertThat(run.err()).isEmpty();
  }

  @Test
  void validate_problems_exits2WithOneLocatedLineEachOnStderr() {
    dir.spec(
        "broken.yaml",
        """
        apiVersion: svcreg.io/v1
        kind: Service
        metadata: {name: cache}
        spec:
          version: "1.0.0"
          package: ../packages/cache
          network: local
          endpoints: [{name: tcp, port: 99999, protocol: tcp}]
          colour: blue
        """);

    CliRun run = CliRun.of("validate", dir.specs().toString());

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines()).isNotEmpty().allMatch(l -> PROBLEM_LINE.matcher(l).matches());
    assertThat(run.err())
        .contains(dir.specs().resolve("broken.yaml") + ":8:")
        .contains("spec.endpoints[0].port")
        .contains(dir.specs().resolve("broken.yaml") + ":9:3: spec.colour");
    assertThat(run.out()).matches("3 files, 5 resources: \\d+ problems?\n");
    assertNoStackTrace(run);
  }

  @Test
  void validate_missingPackagesWithOtherMistakes_everyProblemInOneRun() {
    dir.spec(
        "more.yaml",
        """
        apiVersion: svcreg.io/v1
        kind: Service
        metadata: {name: cache}
        spec:
          version: "1.0.0"
          package: ../packages/nosuch
          network: local
          address: 10.1.2.3
          dependsOn: [web]
        ---
        apiVersion: svcreg.io/v1
        kind: Service
        metadata: {name: queue}
        spec:
          version: "1.0.0"
          package: ../packages/queue
          network: lan
        """);
    dir.edit(
        "services.yaml",
        "port: 5432, protocol: tcp}]\n",
        "port: 5432, protocol: tcp}]\n  dependsOn: [cache]\n");

    CliRun run = CliRun.of("validate", dir.specs().toString());

    Path more = dir.specs().resolve("more.yaml");
    assertThat(run.exitCode()).as(run.toString()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines())
        .hasSize(5)
        .allMatch(l -> PROBLEM_LINE.matcher(l).matches())
        .anyMatch(l -> l.startsWith(more + ":6:12: spec.package: package `../packages/nosuch`"))
        .anyMatch(l -> l.startsWith(more + ":16:12: spec.package: package `../packages/queue`"))
        .contains(
            more
                + ":8:12: spec.address: address 10.1.2.3 is outside the subnet 127.0.0.0/24 of"
                + " network `local`",
            more + ":17:12: spec.network: no network `lan` is declared; declared: local",
            dir.specs().resolve("services.yaml")
                + ":19:15: spec.dependsOn[0]: dependency cycle: api → db → cache → web → api;"
                + " remove one of these dependencies");
    assertThat(run.out()).isEqualTo("3 files, 6 resources: 5 problems\n");
  }

  @Test
  void validate_missingPath_exits2WithOneLine() {
    CliRun run = CliRun.of("validate", tmp.resolve("nowhere").toString());

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(Cli.ERROR);
    assertThat(run.err()).contains("nowhere");
    assertNoStackTrace(run);
  }

  @Test
  void validate_noPath_isAUsageError() {
    CliRun run = CliRun.of("validate");

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines())
        .containsExactly(
            "svcreg validate: Missing required parameter: 'PATH'", "see `svcreg validate --help`");
  }

  @Test
  void plan_freshController_exits1AndShowsCreations() {
    CliRun run = CliRun.of("plan", "--specs", dir.specs().toString());

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(Cli.CHANGES);
    assertThat(run.out())
        .isEqualTo(
            """
            svcreg will perform the following actions:

              + Network/local  generation 1
              + Service/api    generation 1, address 127.0.0.3
              + Service/db     generation 1, address 127.0.0.2
              + Service/web    generation 1, address 127.0.0.4

            Waves (services in one wave proceed in parallel):
              Wave 1:
                allocate_address db 127.0.0.2 in network local
                deploy db 1.0.0 on local
                start db on local
              Wave 2:
                allocate_address api 127.0.0.3 in network local
                deploy api 1.0.0 on local
                start api on local
              Wave 3:
                allocate_address web 127.0.0.4 in network local
                deploy web 1.0.0 on local
                start web on local

            Plan: 4 to create, 0 to update, 0 to delete, 0 unchanged.
            """);
    assertThat(run.err()).isEmpty();
  }

  @Test
  void plan_json_isThePlanInWireFormat() throws Exception {
    CliRun run = CliRun.of("plan", "--specs", dir.specs().toString(), "-o", "json");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(Cli.CHANGES);
    JsonNode json = Json.mapper().readTree(run.out());
    assertThat(json.get("changes")).hasSize(4);
    assertThat(json.get("unchanged").asInt()).isZero();
    Plan plan = Json.mapper().readValue(run.out(), Plan.class);
    assertThat(plan.actions()).isNotEmpty();
    assertThat(run.err()).isEmpty();
  }

  @Test
  void plan_markdown_hasHeadingTableAndWaves() {
    CliRun run = CliRun.of("plan", "--specs", dir.specs().toString(), "--output", "markdown");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(Cli.CHANGES);
    assertThat(run.out())
        .startsWith("### svcreg plan: 4 to create, 0 to update, 0 to delete, 0 unchanged\n")
        .contains("| + | `Service/web` | 1 | `127.0.0.")
        .contains("<details><summary>");
  }

  @Test
  void plan_brokenFile_plansTheRestAndExits2() {
    dir.spec(
        "broken.yaml",
        """
        apiVersion: svcreg.io/v1
        kind: Service
        metadata: {name: cache}
        spec:
          version: "1.0.0"
          package: ../packages/cache
          network: nowhere
        """);

    CliRun run = CliRun.of("plan", "--specs", dir.specs().toString());

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(Cli.ERROR);
    assertThat(run.out()).contains("+ Service/web").doesNotContain("Service/cache");
    assertThat(run.errLines())
        .hasSize(1)
        .allMatch(l -> l.startsWith(dir.specs().resolve("broken.yaml") + ":7:"));
    assertNoStackTrace(run);
  }

  @Test
  void plan_problemsWithJson_stdoutStaysJsonAndStderrListsThem() throws Exception {
    dir.spec("broken.yaml", "apiVersion: svcreg.io/v1\nkind: Service\nmetadata: {name: x}\n");

    CliRun run = CliRun.of("plan", "--specs", dir.specs().toString(), "-o", "json");

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(Json.mapper().readTree(run.out()).get("problems")).isNotEmpty();
    assertThat(run.errLines()).isNotEmpty().allMatch(l -> PROBLEM_LINE.matcher(l).matches());
  }

  @Test
  void plan_missingStateFile_exits2WithOneLine() {
    Path state = tmp.resolve("state.json");

    CliRun run = CliRun.of("plan", "--specs", dir.specs().toString(), "--state", state.toString());

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines()).hasSize(1);
    assertThat(run.err()).startsWith("svcreg plan: ").contains(state.toString());
    assertThat(run.out()).isEmpty();
  }

  @Test
  void plan_garbageStateFile_exits2WithOneLine() throws Exception {
    Path state = Files.writeString(tmp.resolve("state.json"), "{\"revision\": \"many\",\n");

    CliRun run = CliRun.of("plan", "--specs", dir.specs().toString(), "--state", state.toString());

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines()).hasSize(1);
    assertThat(run.err()).startsWith("svcreg plan: ").contains(state.toString());
    assertNoStackTrace(run);
  }

  @Test
  void plan_missingSpecsDir_exits2WithOneLine() {
    CliRun run = CliRun.of("plan", "--specs", tmp.resolve("nope").toString());

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines()).hasSize(1);
    assertThat(run.err()).contains("nope").contains("no such file or directory");
  }

  @Test
  void plan_unknownFlag_isOneLineUsageError() {
    CliRun run = CliRun.of("plan", "--specs", dir.specs().toString(), "--colour");

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines())
        .containsExactly("svcreg plan: unknown option '--colour'", "see `svcreg plan --help`");
    assertThat(run.out()).isEmpty();
  }

  @Test
  void plan_unknownFormat_isUsageErrorNamingTheFormats() {
    CliRun run = CliRun.of("plan", "--specs", dir.specs().toString(), "-o", "yaml");

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines()).hasSize(2);
    assertThat(run.errLines().get(0)).contains("'yaml'").contains("text, json or markdown");
  }

  @Test
  void unknownCommand_suggestsTheNearestOne() {
    CliRun run = CliRun.of("valdate");

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines())
        .containsExactly(
            "svcreg: unknown command 'valdate' (did you mean validate or watch or status?)",
            "see `svcreg --help`");
  }

  @Test
  void noCommand_showsUsageOnStderrAndExits2() {
    CliRun run = CliRun.of();

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.err()).contains("Usage: svcreg").contains("a command is required");
  }

  @Test
  void help_listsEveryCommand() {
    CliRun run = CliRun.of("--help");

    assertThat(run.exitCode()).isEqualTo(Cli.OK);
    assertThat(run.out())
        .contains("validate", "plan", "serve", "status", "apply", "get", "watch", "action");
  }

  @Test
  void version_printsTheVersion() {
    CliRun run = CliRun.of("--version");

    assertThat(run.exitCode()).isEqualTo(Cli.OK);
    assertThat(run.out()).startsWith("svcreg ").contains("Java ");
  }

  @Test
  void internalError_isOneLineWithoutStackTrace() {
    CliRun run = runWithFailingCommand("boom");

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines())
        .containsExactly(
            "svcreg: internal error: java.lang.IllegalStateException: broken on purpose",
            "run again with --debug for the stack trace, and please report it");
  }

  @Test
  void internalError_withDebug_printsTheStackTrace() {
    CliRun run = runWithFailingCommand("boom", "--debug");

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.err())
        .startsWith("svcreg: internal error: java.lang.IllegalStateException: broken on purpose\n")
        .contains("\tat ");
  }

  private static CliRun runWithFailingCommand(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = Main.setup(new Output(new PrintWriter(out), new PrintWriter(err), false));
    cl.addSubcommand(new CommandLine(new Failing()));
    int code = cl.execute(args);
    return new CliRun(code, out.toString(), err.toString());
  }

  @CommandLine.Command(name = "boom")
  static final class Failing implements Callable<Integer> {
    @Override
    public Integer call() {
      throw new IllegalStateException("broken on purpose");
    }
  }
}

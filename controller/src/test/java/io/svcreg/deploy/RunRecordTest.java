package io.svcreg.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.Cidr;
import io.svcreg.schema.Endpoint;
import io.svcreg.schema.ExecutionType;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Protocol;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RunRecordTest {

  private static final Instant T = Instant.parse("2026-03-01T10:15:30.250Z");

  private static Launch launch(ExecutionType execution, Optional<String> previous) {
    return new Launch(
        "web",
        "2.0.0",
        Ipv4.of("10.20.0.7"),
        List.of(new Endpoint("http", 8080, Protocol.HTTP)),
        Map.of("db", "10.20.0.9:5432"),
        Map.of(),
        execution,
        Optional.of(Cidr.of("10.20.0.0/24")),
        new Launch.Origin("c0ffee", 4, "5eed", previous));
  }

  /** The record of {@code launch(execution, previous)} in {@code state}. */
  private static RunRecord record(
      ExecutionType execution,
      Optional<String> previous,
      RunRecord.State state,
      Optional<ProcessRef> process,
      Optional<String> unit) {
    return RunRecord.of(launch(execution, previous), state, process, unit, T);
  }

  /** The record of a managed process with {@code previous}, in {@code state}, without process. */
  private static RunRecord record(Optional<String> previous, RunRecord.State state) {
    return record(
        ExecutionType.MANAGED_PROCESS, previous, state, Optional.empty(), Optional.empty());
  }

  @Test
  void of_launch_carriesItsVersionAddressExecutionAndOrigin() {
    RunRecord r =
        record(
            ExecutionType.SYSTEMD,
            Optional.of("1.0.0"),
            RunRecord.State.STARTING,
            Optional.empty(),
            Optional.of("svcreg-web.service"));

    assertThat(r)
        .isEqualTo(
            new RunRecord(
                "web",
                "2.0.0",
                Optional.of("1.0.0"),
                4,
                "5eed",
                Map.of("db", "10.20.0.9:5432"),
                Optional.of(Ipv4.of("10.20.0.7")),
                Optional.of(Cidr.of("10.20.0.0/24")),
                ExecutionType.SYSTEMD,
                Optional.empty(),
                Optional.of("svcreg-web.service"),
                "c0ffee",
                RunRecord.State.STARTING,
                T));
  }

  @Test
  void text_everyField_isOneSortedLineEachAndReadsBack() {
    ProcessRef p = new ProcessRef(4242, Instant.parse("2026-03-01T10:15:29.120Z"));
    RunRecord r =
        record(
            ExecutionType.MANAGED_PROCESS,
            Optional.of("1.0.0"),
            RunRecord.State.RUNNING,
            Optional.of(p),
            Optional.empty());

    assertThat(r.text())
        .isEqualTo(
            """
            # written by svcreg; do not edit
            address=10.20.0.7
            controller=c0ffee
            dependency.db=10.20.0.9:5432
            execution=managed_process
            generation=4
            pid=4242
            previousVersion=1.0.0
            processStartedAt=2026-03-01T10:15:29.120Z
            service=web
            specHash=5eed
            state=running
            subnet=10.20.0.0/24
            version=2.0.0
            writtenAt=2026-03-01T10:15:30.250Z
            """);
    assertThat(RunRecord.parse(r.text())).contains(r);
  }

  @Test
  void parse_recordWithoutSpecHashOrDependencies_readsWithNone() {
    String old =
        """
        address=10.20.0.7
        execution=managed_process
        generation=4
        service=web
        state=running
        version=2.0.0
        writtenAt=2026-03-01T10:15:30.250Z
        """;

    RunRecord r = RunRecord.parse(old).orElseThrow();

    assertThat(r.specHash()).isEmpty();
    assertThat(r.dependencies()).isEmpty();
    assertThat(r.generation()).isEqualTo(4);
  }

  @Test
  void of_previousVersionSameAsTheStartedOne_hasNone() {
    RunRecord r = record(Optional.of("2.0.0"), RunRecord.State.STARTING);

    assertThat(r.previousVersion()).isEmpty();
    assertThat(r.text()).doesNotContain("previousVersion");
  }

  @Test
  void parse_linesAppendedByAShell_addTheProcess() {
    RunRecord starting = record(Optional.empty(), RunRecord.State.STARTING);
    String text = starting.text() + "pid=77\nprocessStartedAt=2026-03-01T10:15:31.005Z\n";

    assertThat(RunRecord.parse(text))
        .contains(
            starting.then(
                RunRecord.State.STARTING,
                Optional.of(new ProcessRef(77, Instant.parse("2026-03-01T10:15:31.005Z"))),
                T));
  }

  @Test
  void parse_brokenOrPartialText_isEmpty() {
    String whole = record(Optional.empty(), RunRecord.State.STOPPED).text();

    assertThat(RunRecord.parse("")).isEmpty();
    assertThat(RunRecord.parse(whole.substring(0, whole.indexOf("state=")))).isEmpty();
    assertThat(RunRecord.parse(whole.replace("state=stopped", "state=sleeping"))).isEmpty();
    assertThat(RunRecord.parse(whole.replace("address=10.20.0.7", "address=10.20.0"))).isEmpty();
    assertThat(RunRecord.parse(whole + "pid=x\nprocessStartedAt=" + T + "\n")).isEmpty();
  }

  @Test
  void fileName_isTheSanitizedServiceNameBehindTheDotPrefix() {
    assertThat(RunRecord.fileName("web")).isEqualTo(".svcreg-run.web");
    assertThat(RunRecord.fileName("we.b")).isEqualTo(".svcreg-run.we_b");
  }
}

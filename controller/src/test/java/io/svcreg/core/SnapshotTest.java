package io.svcreg.core;

import static io.svcreg.core.Specs.converge;
import static io.svcreg.core.Specs.lan;
import static io.svcreg.core.Specs.service;
import static io.svcreg.core.Specs.set;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.svcreg.schema.Condition;
import io.svcreg.schema.ConditionStatus;
import io.svcreg.schema.Health;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Phase;
import io.svcreg.schema.ServiceStatus;
import io.svcreg.schema.SpecSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JSON snapshot of observed state. */
class SnapshotTest {

  @TempDir Path dir;

  /** A state with every kind of value: present and absent optionals, durations, instants. */
  private static ObservedState rich() {
    SpecSet desired =
        set(
            Specs.network("lan").reserved("10.0.0.1").wireguard("/etc/wg0.conf").build(),
            service("db")
                .endpoint("pg", 5432)
                .health("scripts/health.sh")
                .rollout("90s", false)
                .build(),
            service("api")
                .dependsOn("db")
                .env("LOG_LEVEL", "info")
                .address("10.0.0.9")
                .label("tier", "backend")
                .build(),
            service("idle").stopped().build());
    ObservedState state = converge(desired);
    ServiceStatus db = state.service("db").orElseThrow().status();
    ServiceStatus detailed =
        new ServiceStatus(
            Phase.RUNNING,
            1,
            Optional.of("1.0.0"),
            Optional.of("0.9.0"),
            Optional.of("n1"),
            Optional.of(Ipv4.of("10.0.0.2")),
            List.of("10.0.0.2:5432"),
            Optional.of(4242L),
            new Health(
                HealthState.PASSING,
                Optional.of(Instant.parse("2026-03-01T10:15:30.123Z")),
                "ok\n"),
            List.of(
                new Condition(
                    Condition.READY,
                    ConditionStatus.TRUE,
                    "HealthChecksPassing",
                    "3 checks passed",
                    Instant.parse("2026-03-01T10:15:00Z"))),
            Optional.of("exit status 1"),
            Optional.of("0123abc"));
    assertThat(db.pid()).isEmpty();
    return Specs.withStatus(state, "db", s -> s).equals(state)
        ? replace(state, "db", detailed)
        : state;
  }

  private static ObservedState replace(ObservedState s, String name, ServiceStatus st) {
    return new ObservedState(
        7,
        s.networks(),
        s.services().stream()
            .map(
                o ->
                    o.metadata().name().equals(name)
                        ? new ObservedService(
                            o.metadata(), o.generation(), o.specHash(), o.spec(), st)
                        : o)
            .toList(),
        s.leases());
  }

  @Test
  void snapshot_roundTrip_equalState() {
    ObservedState state = rich();

    String json = Snapshot.toJson(state);

    assertThat(Snapshot.fromJson(json)).isEqualTo(state);
    assertThat(json)
        .contains(
            "\"checkedAt\" : \"2026-03-01T10:15:30.123Z\"",
            "\"progressDeadline\" : \"1m30s\"",
            "\"address\" : \"10.0.0.9\"",
            "\"subnet\" : \"10.0.0.0/24\"",
            "\"pid\" : 4242",
            "\"execution\" : \"managed_process\"");
    assertThat(json).doesNotContain("Optional", "null");
  }

  @Test
  void snapshot_toJson_prettyStableAndInRecordOrder() {
    ObservedState state = rich();

    String json = Snapshot.toJson(state);

    assertThat(json).startsWith("{\n  \"revision\" : 7,\n  \"networks\" : [");
    assertThat(json).endsWith("}\n");
    assertThat(json.indexOf("\"networks\"")).isLessThan(json.indexOf("\"services\""));
    assertThat(json.indexOf("\"services\"")).isLessThan(json.indexOf("\"leases\""));
    assertThat(Snapshot.toJson(Snapshot.fromJson(json))).isEqualTo(json);
  }

  @Test
  void snapshot_emptyState_roundTrips() {
    assertThat(Snapshot.fromJson(Snapshot.toJson(ObservedState.EMPTY)))
        .isEqualTo(ObservedState.EMPTY);
  }

  @Test
  void snapshot_writeThenRead_sameStateAndNoTempFileLeft() {
    ObservedState state = rich();
    Path file = dir.resolve("state.json");

    Snapshot.write(state, file);
    Snapshot.write(state, file);

    assertThat(Snapshot.read(file)).isEqualTo(state);
    assertThat(dir.toFile().list()).containsExactly("state.json");
  }

  @Test
  void snapshot_malformedJson_errorNamesFileAndLine() throws Exception {
    Path file = dir.resolve("bad.json");
    Files.writeString(file, "{\n  \"revision\": 1,\n  \"networks\": [,\n}");

    assertThatThrownBy(() -> Snapshot.read(file))
        .isInstanceOf(SvcregException.class)
        .hasMessageStartingWith(file + ": not a valid observed-state snapshot: line 3")
        .hasMessageNotContaining("\n");
  }

  @Test
  void snapshot_wrongEnumValue_errorNamesFieldPath() throws Exception {
    String json =
        Snapshot.toJson(rich()).replace("\"phase\" : \"running\"", "\"phase\" : \"sleeping\"");

    assertThatThrownBy(() -> Snapshot.fromJson(json, "state.json"))
        .isInstanceOf(SvcregException.class)
        .hasMessageContaining("state.json: not a valid observed-state snapshot")
        .hasMessageContaining("services[0].status.phase")
        .hasMessageContaining("expected registered | deploying");
  }

  @Test
  void snapshot_unknownField_error() {
    assertThatThrownBy(
            () ->
                Snapshot.fromJson(
                    "{\"revision\": 1, \"networks\": [], \"services\": [], \"leases\": [],"
                        + " \"extra\": 2}",
                    "s.json"))
        .isInstanceOf(SvcregException.class)
        .hasMessageContaining("s.json")
        .hasMessageContaining("extra");
  }

  @Test
  void snapshot_missingLists_readAsEmpty() {
    assertThat(Snapshot.fromJson("{\"revision\": 3}", "s.json"))
        .isEqualTo(new ObservedState(3, List.of(), List.of(), List.of()));
  }

  @Test
  void snapshot_missingRequiredValue_errorNamesIt() {
    String json = Snapshot.toJson(rich()).replaceFirst("\"phase\" : \"running\",", "");

    assertThatThrownBy(() -> Snapshot.fromJson(json, "s.json"))
        .isInstanceOf(SvcregException.class)
        .hasMessageStartingWith("s.json: not a valid observed-state snapshot")
        .hasMessageContaining("services[0].status")
        .hasMessageContaining("phase");
  }

  @Test
  void snapshot_emptyDocument_error() {
    assertThatThrownBy(() -> Snapshot.fromJson("", "s.json"))
        .isInstanceOf(SvcregException.class)
        .hasMessageStartingWith("s.json: ");
  }

  @Test
  void snapshot_nullDocument_error() {
    assertThatThrownBy(() -> Snapshot.fromJson("null", "s.json"))
        .isInstanceOf(SvcregException.class)
        .hasMessage("s.json: not an observed-state snapshot: the document is empty");
  }

  @Test
  void snapshot_readDirectory_error() {
    assertThatThrownBy(() -> Snapshot.read(dir))
        .isInstanceOf(SvcregException.class)
        .hasMessageStartingWith(dir + ": cannot read state file");
  }

  @Test
  void snapshot_missingFile_error() {
    Path file = dir.resolve("nope.json");

    assertThatThrownBy(() -> Snapshot.read(file))
        .isInstanceOf(SvcregException.class)
        .hasMessage(file + ": state file not found");
  }

  @Test
  void snapshot_unwritableTarget_error() {
    Path file = dir.resolve("missing-dir").resolve("state.json");

    assertThatThrownBy(() -> Snapshot.write(ObservedState.EMPTY, file))
        .isInstanceOf(SvcregException.class)
        .hasMessageStartingWith(file + ": cannot write state file");
  }

  @Test
  void snapshot_planFromRoundTrippedState_sameAsFromState() {
    SpecSet before = set(lan(), service("api").build());
    ObservedState state = converge(before);
    SpecSet after = set(lan(), service("api").version("2.0.0").build());

    assertThat(Planner.plan(after, Snapshot.fromJson(Snapshot.toJson(state))))
        .isEqualTo(Planner.plan(after, state));
  }
}

package io.svcreg.core;

import static io.svcreg.core.Specs.converge;
import static io.svcreg.core.Specs.lan;
import static io.svcreg.core.Specs.service;
import static io.svcreg.core.Specs.set;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.schema.Json;
import io.svcreg.schema.SpecSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A plan as JSON (what {@code plan -o json} prints): wire names, and it reads back equal. */
class PlanJsonTest {

  private static Plan samplePlan() {
    SpecSet before = set(lan(), service("db").build(), service("gone").build());
    SpecSet after =
        set(
            lan(),
            service("db").version("2.0.0").env("A", "1").build(),
            service("api").dependsOn("db").build());
    return Planner.plan(after, converge(before));
  }

  @Test
  void planJson_actionsAndChanges_useWireNames() throws Exception {
    JsonNode json = Json.mapper().readTree(Json.mapper().writeValueAsString(samplePlan()));

    assertThat(json.get("changes").get(0).get("key").asText()).isEqualTo("Service/api");
    assertThat(json.get("changes").get(0).get("change").asText()).isEqualTo("create");
    assertThat(json.get("changes").get(0).get("address").asText()).isEqualTo("10.0.0.3");
    List<String> types = json.findValues("type").stream().map(JsonNode::asText).toList();
    assertThat(types)
        .containsExactly(
            "stop",
            "undeploy",
            "release_address",
            "deploy",
            "restart",
            "allocate_address",
            "deploy",
            "start");
    assertThat(json.has("hasChanges")).isFalse();
    assertThat(json.get("waves").get(0).get("number").asInt()).isEqualTo(1);
  }

  @Test
  void planJson_readBack_equalPlan() throws Exception {
    Plan plan = samplePlan();

    Plan back = Json.mapper().readValue(Json.mapper().writeValueAsString(plan), Plan.class);

    assertThat(back).isEqualTo(plan);
  }

  @Test
  void action_type_isTheWireName() {
    assertThat(samplePlan().actions())
        .extracting(Action::type)
        .containsExactly(
            "stop",
            "undeploy",
            "release_address",
            "deploy",
            "restart",
            "allocate_address",
            "deploy",
            "start");
    assertThat(new Action.Rollback("a", "n", "2", "1").type()).isEqualTo("rollback");
  }

  @Test
  void changeType_symbols_plusTildeMinus() {
    assertThat(List.of(ChangeType.values()))
        .extracting(ChangeType::symbol)
        .containsExactly("+", "~", "-");
    assertThat(ChangeType.UPDATE.wireName()).isEqualTo("update");
  }
}

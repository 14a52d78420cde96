package io.svcreg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.core.Plan;
import io.svcreg.schema.Json;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PlanJsonTest {

  @Test
  void render_mixedPlan_isTheWireShape() throws Exception {
    JsonNode json = Json.mapper().readTree(PlanJson.render(Plans.mixed()));

    assertThat(json.get("unchanged").asInt()).isEqualTo(4);
    JsonNode api = json.get("changes").get(2);
    assertThat(api.get("key").asText()).isEqualTo("Service/api");
    assertThat(api.get("change").asText()).isEqualTo("update");
    assertThat(api.get("address").asText()).isEqualTo("127.0.0.3");
    assertThat(api.get("fields").get(1).has("oldValue")).isFalse();
    JsonNode first = json.get("waves").get(0).get("actions").get(0);
    assertThat(first.get("type").asText()).isEqualTo("allocate_address");
    assertThat(first.get("address").asText()).isEqualTo("127.0.0.2");
    assertThat(json.get("problems").get(0).get("line").asInt()).isEqualTo(7);
  }

  @Test
  void render_roundTrips_toTheSamePlan() throws Exception {
    for (Plan plan :
        List.of(Plans.mixed(), Plans.mixed().withSourceRevision(Optional.of(Plans.REVISION)))) {
      assertThat(Json.mapper().readValue(PlanJson.render(plan), Plan.class)).isEqualTo(plan);
    }
  }

  @Test
  void render_specsInAGitWorkTree_topLevelSourceRevision() throws Exception {
    Plan plan = Plans.noChanges().withSourceRevision(Optional.of(Plans.REVISION));

    JsonNode json = Json.mapper().readTree(PlanJson.render(plan));

    assertThat(json.get("sourceRevision").asText()).isEqualTo(Plans.REVISION);
  }

  @Test
  void render_specsNotInGit_noSourceRevision() throws Exception {
    JsonNode json = Json.mapper().readTree(PlanJson.render(Plans.mixed()));

    assertThat(json.has("sourceRevision")).isFalse();
  }

  @Test
  void render_samePlanTwice_isByteIdentical() {
    assertThat(PlanJson.render(Plans.mixed())).isEqualTo(PlanJson.render(Plans.mixed()));
  }
}

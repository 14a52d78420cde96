package io.svcreg.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The hash written directly equals the hash of the mapper's JSON, so stored hashes stay valid. */
class SpecHashTest {

  private static ServiceSpec spec(
      String node,
      Optional<Ipv4> address,
      List<Endpoint> endpoints,
      List<String> deps,
      Map<String, String> env,
      Optional<HealthCheck> health,
      RunState state,
      Rollout rollout) {
    return new ServiceSpec(
        "1.2.3",
        "../packages/api",
        "lan",
        node,
        address,
        ExecutionType.MANAGED_PROCESS,
        endpoints,
        deps,
        env,
        health,
        state,
        rollout);
  }

  @Test
  void of_everyKindOfServiceSpec_equalsTheMappersHash() {
    List<ServiceSpec> specs =
        List.of(
            spec(
                null,
                Optional.empty(),
                List.of(),
                List.of(),
                Map.of(),
                Optional.empty(),
                RunState.RUNNING,
                Rollout.DEFAULT),
            spec(
                "node-1",
                Optional.of(Ipv4.of("10.0.0.7")),
                List.of(
                    new Endpoint("http", 8080, Protocol.HTTP),
                    new Endpoint("dns", 53, Protocol.UDP)),
                List.of("db", "cache", "auth"),
                Map.of(
                    "B", "quote \" backslash \\ slash / tab \t newline \n",
                    "A", "ünïcødé ✓ 𝄞 \u0001 \u007f \u2028 </script>",
                    "EMPTY", ""),
                Optional.of(
                    new HealthCheck(
                        "bin/health.sh", SpecDuration.ofSeconds(90), new SpecDuration(1500), 7)),
                RunState.STOPPED,
                new Rollout(new SpecDuration(3_600_000 + 1000), false)),
            spec(
                "local",
                Optional.empty(),
                List.of(new Endpoint("g", 1, Protocol.GRPC)),
                List.of("x"),
                Map.of("ONE", "1"),
                Optional.empty(),
                RunState.RUNNING,
                new Rollout(new SpecDuration(0), true)));
    for (ServiceSpec s : specs) {
      assertThat(SpecHash.of(s)).as(s.toString()).isEqualTo(SpecHash.viaMapper(s));
    }
  }

  @Test
  void of_theValidExamples_equalsTheMappersHash() {
    SpecSet set = SpecLoader.load(List.of(Path.of("src/test/resources/valid")));

    assertThat(set.services()).isNotEmpty();
    for (Service s : set.services()) {
      assertThat(s.specHash()).as(s.name()).isEqualTo(SpecHash.viaMapper(s.spec()));
    }
    for (Network n : set.networks()) {
      assertThat(SpecHash.of(n.spec())).isEqualTo(SpecHash.viaMapper(n.spec()));
    }
  }
}

package io.svcreg.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.Endpoint;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Protocol;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContainersTest {

  @Test
  void names_ofAService_areDockerNames() {
    assertThat(Containers.container("web.api")).isEqualTo("svcreg-web_api");
    assertThat(Containers.repository("web")).isEqualTo("svcreg.local/web");
    assertThat(Containers.tag("1.2.3+build.4")).isEqualTo("1.2.3_build.4");
    assertThat(Containers.tag(".hidden")).isEqualTo("_hidden");
  }

  @Test
  void stateParse_runningContainer_itsProcessAndVersion() {
    String out =
        "noise\nstate running 4242 2026-12-06T14:31:08.697484707Z 0 0 c0ffee 1.0.0\n---\nlog line\n";

    assertThat(Containers.State.parse(out))
        .contains(
            new Containers.State(
                true,
                new ProcessRef(
                    4242,
                    Instant.parse("2026-12-06T14:31:08.697484707Z"),
                    java.util.Optional.of("c0ffee")),
                0,
                0,
                "1.0.0"));
  }

  @Test
  void stateParse_exitedOrAbsent_notRunningOrEmpty() {
    assertThat(
            Containers.State.parse("state exited 0 2026-12-06T14:31:08Z 3 137 c0ffee 1.0.0")
                .orElseThrow())
        .extracting(
            Containers.State::running, Containers.State::restarts, Containers.State::exitCode)
        .containsExactly(false, 3, 137);
    assertThat(Containers.State.parse("absent\n")).isEmpty();
  }

  @Test
  void environment_theServicesWithoutTheControllersOrTheInstallDirectory() {
    Launch launch =
        new Launch(
            "web",
            "1",
            Ipv4.of("127.0.0.5"),
            List.of(new Endpoint("http", 8080, Protocol.HTTP)),
            Map.of("db", "127.0.0.6:5432"),
            Map.of("LOG_LEVEL", "info", "PATH", "/opt/bin"));

    assertThat(Containers.environment(launch, "/opt/web-1"))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "SERVICE_NAME", "web",
                "SERVICE_VERSION", "1",
                "SERVICE_IP", "127.0.0.5",
                "SERVICE_PORT_HTTP", "8080",
                "DB_ADDR", "127.0.0.6:5432",
                "LOG_LEVEL", "info",
                "PATH", "/opt/bin"));
  }
}

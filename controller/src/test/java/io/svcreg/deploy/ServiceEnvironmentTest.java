package io.svcreg.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import io.svcreg.schema.Endpoint;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Protocol;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServiceEnvironmentTest {

  private static final Map<String, String> CONTROLLER =
      Map.of(
          "PATH", "/opt/jdk/bin:/usr/bin",
          "JAVA_HOME", "/opt/jdk",
          "SVCREG_TOKEN", "secret",
          "SERVICE_NAME", "controller-leak");

  private static Launch launch(Map<String, String> deps, Map<String, String> env) {
    return new Launch(
        "api-server",
        "1.2.3",
        Ipv4.of("127.0.0.5"),
        List.of(
            new Endpoint("http", 8080, Protocol.HTTP),
            new Endpoint("admin-ui", 9090, Protocol.TCP)),
        deps,
        env);
  }

  @Test
  void of_service_setsContractVariables() {
    Map<String, String> env =
        ServiceEnvironment.of(launch(Map.of(), Map.of()), "/opt/api-server-1.2.3", CONTROLLER);

    assertThat(env)
        .contains(
            entry("SERVICE_NAME", "api-server"),
            entry("SERVICE_VERSION", "1.2.3"),
            entry("SERVICE_HOME", "/opt/api-server-1.2.3"),
            entry("SERVICE_IP", "127.0.0.5"),
            entry("SERVICE_PORT_HTTP", "8080"),
            entry("SERVICE_PORT_ADMIN_UI", "9090"));
  }

  @Test
  void of_dependencies_setAddrVariablesWithUpperCaseUnderscoreNames() {
    Map<String, String> env =
        ServiceEnvironment.of(
            launch(Map.of("postgres", "127.0.0.6:5432", "redis-cache", "127.0.0.7:6379"), Map.of()),
            "/h",
            CONTROLLER);

    assertThat(env)
        .contains(
            entry("POSTGRES_ADDR", "127.0.0.6:5432"), entry("REDIS_CACHE_ADDR", "127.0.0.7:6379"));
  }

  @Test
  void of_controllerEnvironment_passesOnlyPathAndJavaHomeLikeVariables() {
    Map<String, String> env = ServiceEnvironment.of(launch(Map.of(), Map.of()), "/h", CONTROLLER);

    assertThat(env)
        .contains(entry("PATH", "/opt/jdk/bin:/usr/bin"), entry("JAVA_HOME", "/opt/jdk"))
        .doesNotContainKey("SVCREG_TOKEN")
        .containsEntry("SERVICE_NAME", "api-server");
  }

  @Test
  void of_controllerWithoutPath_getsDefaultPath() {
    Map<String, String> env = ServiceEnvironment.of(launch(Map.of(), Map.of()), "/h", Map.of());

    assertThat(env)
        .containsEntry("PATH", ServiceEnvironment.DEFAULT_PATH)
        .doesNotContainKey("JAVA_HOME");
  }

  @Test
  void path_isThePathTheScriptsGetFromTheController() {
    assertThat(ServiceEnvironment.path(CONTROLLER))
        .isEqualTo(
            ServiceEnvironment.of(launch(Map.of(), Map.of()), "/opt/a", CONTROLLER).get("PATH"))
        .isEqualTo("/opt/jdk/bin:/usr/bin");
    assertThat(ServiceEnvironment.path(Map.of())).isEqualTo(ServiceEnvironment.DEFAULT_PATH);
  }

  @Test
  void of_specEnv_addsVariablesAndMayOverridePassedThroughOnes() {
    Map<String, String> env =
        ServiceEnvironment.of(
            launch(Map.of(), Map.of("LOG_LEVEL", "debug", "JAVA_HOME", "/opt/jdk21")),
            "/h",
            CONTROLLER);

    assertThat(env).contains(entry("LOG_LEVEL", "debug"), entry("JAVA_HOME", "/opt/jdk21"));
  }

  @Test
  void of_specEnvWithReservedNames_cannotOverrideContractVariables() {
    Map<String, String> env =
        ServiceEnvironment.of(
            launch(
                Map.of("postgres", "127.0.0.6:5432"),
                Map.of(
                    "SERVICE_IP", "0.0.0.0",
                    "SERVICE_PORT_HTTP", "1",
                    "SERVICE_EXTRA", "x",
                    "POSTGRES_ADDR", "10.0.0.1:5432",
                    "CACHE_ADDR", "10.0.0.2:6379")),
            "/h",
            CONTROLLER);

    assertThat(env)
        .contains(
            entry("SERVICE_IP", "127.0.0.5"),
            entry("SERVICE_PORT_HTTP", "8080"),
            entry("POSTGRES_ADDR", "127.0.0.6:5432"),
            entry("CACHE_ADDR", "10.0.0.2:6379"))
        .doesNotContainKey("SERVICE_EXTRA");
  }

  @Test
  void of_sameInput_sameSortedEnvironment() {
    Launch l = launch(Map.of("b", "127.0.0.2:1", "a", "127.0.0.3:2"), Map.of("Z", "1", "A", "2"));

    Map<String, String> first = ServiceEnvironment.of(l, "/h", CONTROLLER);

    assertThat(first).isEqualTo(ServiceEnvironment.of(l, "/h", CONTROLLER));
    assertThat(List.copyOf(first.keySet())).isSorted();
  }

  @Test
  void address_firstEndpoint_isIpAndPort() {
    assertThat(
            Launch.address(
                Ipv4.of("127.0.0.9"),
                List.of(
                    new Endpoint("grpc", 7000, Protocol.GRPC),
                    new Endpoint("http", 80, Protocol.HTTP))))
        .contains("127.0.0.9:7000");
    assertThat(Launch.address(Ipv4.of("127.0.0.9"), List.of())).isEmpty();
  }
}

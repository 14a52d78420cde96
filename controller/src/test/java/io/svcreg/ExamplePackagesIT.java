package io.svcreg;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quick start's packages ({@code examples/packages}) run as a controller runs them: installed
 * into {@code {root}/{name}-{version}/}, {@code scripts/start.sh} detached in its own process group
 * with the contract's environment and its output in the install directory's log, {@code
 * scripts/health.sh} polled until it passes, {@code scripts/stop.sh} to stop.
 */
class ExamplePackagesIT {

  private static final Path PACKAGES =
      Path.of(System.getProperty("svcreg.project.root", "..")).resolve("examples/packages");

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final List<Running> started = new ArrayList<>();

  @TempDir Path installRoot;

  /** A started package: where it is installed, how it is reached, and its start process. */
  private record Running(String name, Path home, String ip, int port, Process process) {

    String addr() {
      return ip + ":" + port;
    }

    URI uri(String path) {
      return URI.create("http://" + addr() + path);
    }
  }

  @Test
  void quickStartPackages_startedLikeByTheController_serveThroughTheChainAndStopCleanly()
      throws Exception {
    Running store = start("store", "127.0.0.2", Map.of());
    Running api = start("api", "127.0.0.3", Map.of("store", store));
    Running web = start("web", "127.0.0.4", Map.of("api", api));
    for (Running r : List.of(store, api, web)) {
      awaitHealthy(r);
    }

    HttpResponse<String> saved =
        send(
            HttpRequest.newBuilder(web.uri("/items"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("id=greeting&value=hello+from+web")));
    assertThat(saved.statusCode()).as(saved.body()).isEqualTo(303);
    assertThat(get(store, "/kv/item.greeting").body()).isEqualTo("hello from web");

    HttpResponse<String> put =
        send(
            HttpRequest.newBuilder(api.uri("/items/answer"))
                .PUT(HttpRequest.BodyPublishers.ofString("42")));
    assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
    assertThat(get(store, "/kv/item.answer").body()).isEqualTo("42");
    assertThat(get(api, "/items").body())
        .isEqualTo("{\"answer\":\"42\",\"greeting\":\"hello from web\"}\n");
    HttpResponse<String> page = get(web, "/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).contains("<b>greeting</b>: hello from web", "<b>answer</b>: 42");

    stop(store);
    HttpResponse<String> withoutStore = get(api, "/items");
    assertThat(withoutStore.statusCode()).isEqualTo(503);
    assertThat(withoutStore.body()).contains("store unavailable at " + store.addr());
    assertThat(get(web, "/").statusCode()).isEqualTo(503);
    assertThat(health(api)).as("the api keeps running while the store is down").isTrue();

    stop(api);
    stop(web);
  }

  @Test
  void stopScript_serviceNotRunning_succeeds() throws Exception {
    Path home = install("store");
    Process stop = script(home, "stop.sh", env("store", home, "127.0.0.2", 1, Map.of()));
    assertThat(stop.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(stop.exitValue()).isZero();
  }

  @Test
  void healthScript_nothingListening_fails() throws Exception {
    Path home = install("store");
    int port = freePort("127.0.0.2");
    Process check = script(home, "health.sh", env("store", home, "127.0.0.2", port, Map.of()));
    assertThat(check.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(check.exitValue()).isEqualTo(1);
  }

  @AfterEach
  void killLeftovers() throws Exception {
    for (Running r : started) {
      if (r.process().isAlive()) {
        // the start script exec'd java in its own process group: kill the whole group
        new ProcessBuilder("kill", "-KILL", "--", "-" + r.process().pid())
            .redirectErrorStream(true)
            .start()
            .waitFor(5, TimeUnit.SECONDS);
        r.process().waitFor(5, TimeUnit.SECONDS);
      }
    }
  }

  /** Installs a copy of the package as {@code {root}/{name}-1.0.0}, keeping file modes. */
  private Path install(String name) throws IOException {
    Path source = PACKAGES.resolve(name);
    Path home = installRoot.resolve(name + "-1.0.0");
    try (Stream<Path> files = Files.walk(source)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path target = home.resolve(source.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
    return home;
  }

  private Running start(String name, String ip, Map<String, Running> deps) throws IOException {
    Path home = install(name);
    int port = freePort(ip);
    Map<String, String> env = env(name, home, ip, port, deps);
    // setsid: its own session and process group, as the controller starts services
    ProcessBuilder pb =
        new ProcessBuilder("setsid", home.resolve("scripts/start.sh").toString())
            .directory(home.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("service.log").toFile()))
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    withEnv(pb, env);
    Process process = pb.start();
    Running r = new Running(name, home, ip, port, process);
    started.add(r);
    return r;
  }

  /** The contract's environment for a package's scripts. */
  private static Map<String, String> env(
      String name, Path home, String ip, int port, Map<String, Running> deps) {
    Map<String, String> env = new HashMap<>();
    env.put("SERVICE_NAME", name);
    env.put("SERVICE_VERSION", "1.0.0");
    env.put("SERVICE_HOME", home.toString());
    env.put("SERVICE_IP", ip);
    env.put("SERVICE_PORT_HTTP", Integer.toString(port));
    env.put("JAVA_HOME", System.getProperty("java.home"));
    deps.forEach(
        (dep, r) -> env.put(dep.toUpperCase(Locale.ROOT).replace('-', '_') + "_ADDR", r.addr()));
    return env;
  }

  private static Process script(Path home, String script, Map<String, String> env)
      throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(home.resolve("scripts").resolve(script).toString())
            .directory(home.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("scripts.log").toFile()));
    withEnv(pb, env);
    return pb.start();
  }

  /** Replaces whatever of the contract's variables the test JVM inherited. */
  private static void withEnv(ProcessBuilder pb, Map<String, String> env) {
    pb.environment()
        .keySet()
        .removeIf(k -> k.startsWith("SERVICE_") || k.endsWith("_ADDR") || k.equals("JAVA_OPTS"));
    pb.environment().putAll(env);
  }

  private void awaitHealthy(Running r) {
    Waits.atMost(Duration.ofSeconds(60))
        .alias("health.sh of " + r.name() + " passes")
        .pollInterval(Duration.ofMillis(200))
        .failFast(
            () ->
                assertThat(r.process().isAlive())
                    .as(() -> r.name() + " exited with " + exitOf(r) + "; log:\n" + log(r))
                    .isTrue())
        .until(() -> health(r));
  }

  private boolean health(Running r) throws IOException, InterruptedException {
    Process check =
        script(r.home(), "health.sh", env(r.name(), r.home(), r.ip(), r.port(), Map.of()));
    if (!check.waitFor(10, TimeUnit.SECONDS)) {
      check.destroyForcibly();
      return false;
    }
    return check.exitValue() == 0;
  }

  /** Runs stop.sh and checks that the process is gone and its pid file removed. */
  private void stop(Running r) throws Exception {
    Path pidFile = r.home().resolve("run/service.pid");
    long pid = Long.parseLong(Files.readString(pidFile).trim());
    assertThat(pid).as("start.sh exec'd java, keeping its PID").isEqualTo(r.process().pid());
    Process stop = script(r.home(), "stop.sh", env(r.name(), r.home(), r.ip(), r.port(), Map.of()));
    assertThat(stop.waitFor(20, TimeUnit.SECONDS)).as("stop.sh finishes").isTrue();
    assertThat(stop.exitValue()).as("stop.sh of %s; log:%n%s", r.name(), log(r)).isZero();
    Waits.atMost(Duration.ofSeconds(10))
        .alias(r.name() + " exits")
        .until(() -> !r.process().isAlive());
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive))
        .isIn(Optional.empty(), Optional.of(false));
    assertThat(pidFile).doesNotExist();
    assertThat(health(r)).isFalse();
  }

  private HttpResponse<String> get(Running r, String path) throws Exception {
    return send(HttpRequest.newBuilder(r.uri(path)).GET());
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(
        request.timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private static int freePort(String ip) throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName(ip), 0));
      return s.getLocalPort();
    }
  }

  private static String exitOf(Running r) {
    return r.process().isAlive() ? "(running)" : Integer.toString(r.process().exitValue());
  }

  private static String log(Running r) {
    try {
      Path log = r.home().resolve("service.log");
      return Files.exists(log) ? Files.readString(log) : "(no log)";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

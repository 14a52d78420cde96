package io.svcreg.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.svcreg.Waits;
import io.svcreg.client.LiveApi;
import io.svcreg.schema.Phase;
import io.svcreg.store.Transaction;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * The dashboard at {@code /ui/} in Debian's headless Chromium (driven by chromedriver; {@code
 * tools/test} installs both), against a real controller and API on port 0 running real services:
 * {@code web} and {@code shop}, whose label and health output hold markup. One browser and one
 * controller for the class; the tests run in order, the controller restart last. Screenshots of
 * every view go to {@code target/failsafe-reports/screenshots/}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardIT {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path SCREENSHOTS = Path.of("target/failsafe-reports/screenshots");
  private static final String MARKUP_LABEL = "<img src=x onerror=alert(1)>";
  private static final String MARKUP_OUTPUT = "<b>ok</b><script>alert(2)</script>";

  @TempDir static Path tmp;
  static LiveApi live;
  static ChromeDriver browser;
  static String page;

  @BeforeAll
  static void start() throws Exception {
    assertThat(CHROMIUM)
        .as("Debian's chromium is missing; run tools/test, which installs it")
        .isExecutable();
    assertThat(CHROMEDRIVER)
        .as("Debian's chromium-driver is missing; run tools/test, which installs it")
        .isExecutable();
    live = LiveApi.start(tmp);
    LiveApi.pkg(tmp.resolve("packages/shop"), "shop");
    Files.writeString(
        tmp.resolve("packages/shop/scripts/health.sh"),
        "#!/usr/bin/env bash\necho '" + MARKUP_OUTPUT + "'\n");
    Files.writeString(
        live.specs().resolve("shop.yaml"),
        """
        apiVersion: svcreg.io/v1
        kind: Service
        metadata:
          name: shop
          labels: {note: "%s"}
        spec:
          version: "1.0.0"
          package: ../packages/shop
          network: local
          endpoints: [{name: http, port: 8081, protocol: http}]
          health: {script: scripts/health.sh, interval: 1s}
        """
            .formatted(MARKUP_LABEL));
    Waits.atMost(Duration.ofSeconds(60))
        .until(
            () ->
                live.app()
                    .store()
                    .service("shop")
                    .map(s -> s.status().phase() == Phase.RUNNING)
                    .orElse(false));
    page = live.url().toString().replace("wss://", "https://").replace(ApiServer.PATH, "") + "/ui/";
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--ignore-certificate-errors",
        "--window-size=1400,900",
        "--user-data-dir=" + tmp.resolve("chromium"),
        // the browser talks to the controller on loopback and to nothing else: no background
        // services, no name lookups, and any other request goes to a closed local port
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--proxy-server=http://127.0.0.1:9");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, java.util.logging.Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    browser =
        new ChromeDriver(
            new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build(),
            options);
    Files.createDirectories(SCREENSHOTS);
  }

  @AfterAll
  static void stop() {
    try {
      if (browser != null) {
        browser.quit();
      }
    } finally {
      if (live != null) {
        live.close();
      }
    }
  }

  // ------------------------------------------------------------------ the tests

  @Test
  @Order(1)
  void ui_servedWithAStrictPolicy_fromTheApisListener() throws Exception {
    var http = TestClient.http(TestClient.trusting(live.data().resolve("tls/ca.crt")));
    var index =
        http.send(
            HttpRequest.newBuilder(URI.create(page)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(index.statusCode()).isEqualTo(200);
    assertThat(index.headers().firstValue("content-security-policy")).hasValue(Dashboard.CSP);
    assertThat(index.headers().firstValue("content-type")).hasValue("text/html; charset=UTF-8");
    assertThat(index.body()).contains("<script type=\"module\" src=\"app.js\">");
    var module =
        http.send(
            HttpRequest.newBuilder(URI.create(page + "app.js")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(module.headers().firstValue("content-type"))
        .hasValue("text/javascript; charset=UTF-8");
    var bare =
        http.send(
            HttpRequest.newBuilder(URI.create(page.substring(0, page.length() - 1))).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(bare.statusCode()).isEqualTo(301);
    assertThat(bare.headers().firstValue("location")).hasValue("/ui/");
    for (String missing : List.of("nope.js", "..%2Fapi.url", "app.js.map")) {
      var r =
          http.send(
              HttpRequest.newBuilder(URI.create(page + missing)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(missing).isEqualTo(404);
    }
  }

  @Test
  @Order(2)
  void servicesView_adminToken_listsTheRunningServices() throws Exception {
    login("admin");
    Waits.atMost(Duration.ofSeconds(10))
        .until(() -> "running".equals(text("tr[data-service=web] td.phase")));
    Waits.atMost(Duration.ofSeconds(10))
        .until(() -> "running".equals(text("tr[data-service=shop] td.phase")));
    assertThat(text("tr[data-service=web] td.version")).isEqualTo("1.0.0 / 1.0.0");
    assertThat(text("tr[data-service=web] td.address")).startsWith("127.0.0.");
    assertThat(text("#role")).isEqualTo("role: admin");
    screenshot("services");
    browser.findElement(By.id("filter-text")).sendKeys("sho");
    assertThat(texts("tbody tr")).hasSize(1).first().asString().startsWith("shop");
    browser.findElement(By.id("filter-label")).sendKeys("note");
    assertThat(texts("tbody tr")).hasSize(1);
    browser.findElement(By.id("filter-text")).clear();
    browser.findElement(By.id("filter-label")).sendKeys("=x");
    assertThat(texts("tbody tr")).isEmpty();
    browser.findElement(By.id("filter-label")).clear();
    assertThat(texts("tbody tr")).hasSize(2);
    // the order of the rows, on made-up services: degraded, then out of sync, then by name
    Object order =
        browser.executeAsyncScript(
            "const done = arguments[arguments.length - 1];"
                + "const svc = (name, phase, health, generation, observed) => ({metadata: {name},"
                + " generation, spec: {version: '1', state: 'running'}, status: {phase,"
                + " observedGeneration: observed, deployedVersion: '1', health: {state: health},"
                + " conditions: []}});"
                + "import(new URL('model.js', location.href).href).then(m => done(["
                + " svc('a', 'running', 'passing', 1, 1), svc('b', 'running', 'failing', 1, 1),"
                + " svc('c', 'running', 'passing', 2, 1), svc('d', 'failed', 'unknown', 1, 1),"
                + " svc('e', 'starting', 'unknown', 1, 1)]"
                + ".sort(m.byAttention).map(s => s.metadata.name).join(' ')))"
                + ".catch(e => done('error: ' + e));");
    assertThat(order).isEqualTo("b d c e a");
  }

  @Test
  @Order(3)
  void specChange_appearsWithoutReload_withinASecond() throws Exception {
    js("window.notReloaded = true");
    setWebTier("green");
    Waits.atMost(Duration.ofSeconds(1))
        .until(() -> text("tr[data-service=web] .labels").contains("tier=green"));
    assertThat(js("return window.notReloaded === true")).isEqualTo(true);
  }

  @Test
  @Order(4)
  void markup_inALabelAndInHealthOutput_showsAsTextAndRunsNothing() throws Exception {
    assertThat(text("tr[data-service=shop] .label")).isEqualTo("note=" + MARKUP_LABEL);
    assertThat(js("return document.querySelectorAll('img, main script').length")).isEqualTo(0L);
    open("#/service/shop");
    Waits.atMost(Duration.ofSeconds(20))
        .until(() -> text("#health-output").contains(MARKUP_OUTPUT));
    assertThat(js("return document.querySelectorAll('#view img, #view script, #view b').length"))
        .isEqualTo(0L);
    assertThatThrownBy(() -> browser.switchTo().alert())
        .isInstanceOf(NoAlertPresentException.class);
  }

  @Test
  @Order(5)
  void adminRestart_fromTheServicePage_showsStoppingThenRunning() throws Exception {
    open("#/service/web");
    Waits.atMost(Duration.ofSeconds(10)).until(() -> "running".equals(text("#service-phase")));
    browser.findElement(By.cssSelector("button[data-action=restart]")).click();
    Waits.atMost(Duration.ofSeconds(10))
        .until(() -> text("#action-result").startsWith("restart: accepted (revision "));
    // newest first: a "→ running" above the "→ stopping" of this restart
    Waits.atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              List<String> lines = texts("#timeline li");
              int stopping = indexOf(lines, "→ stopping");
              int running = indexOf(lines, "→ running");
              return stopping > 0 && running >= 0 && running < stopping;
            });
    Waits.atMost(Duration.ofSeconds(10)).until(() -> "running".equals(text("#service-phase")));
    screenshot("service");
  }

  @Test
  @Order(6)
  void adminRedeploy_fromTheServicePage_showsTheDeploymentToRunning() throws Exception {
    open("#/service/web");
    long installed = texts("#timeline li").stream().filter(l -> l.contains(" installed ")).count();
    browser.findElement(By.cssSelector("button[data-action=redeploy]")).click();
    Waits.atMost(Duration.ofSeconds(10))
        .until(
            () ->
                text("#action-result")
                    .matches("redeploy: accepted \\(revision \\d+, version 1.0.0\\)"));
    Waits.atMost(Duration.ofSeconds(30))
        .until(
            () ->
                texts("#timeline li").stream().filter(l -> l.contains(" installed ")).count()
                        > installed
                    && "1.0.0: running".equals(text("#deploy-step")));
    assertThat(js("return document.getElementById('deploy-progress').value")).isEqualTo(4L);
  }

  @Test
  @Order(7)
  void otherViews_planNetworksRegistryEvents_showTheControllersState() throws Exception {
    open("#/plan");
    Waits.atMost(Duration.ofSeconds(10))
        .until(() -> text("#plan").contains("No changes. Desired state matches observed state."));
    screenshot("plan");

    open("#/networks");
    String address =
        live.app().store().service("web").orElseThrow().status().address().orElseThrow().toString();
    Waits.atMost(Duration.ofSeconds(10))
        .until(() -> text("article[data-network=local]").contains(address + "web"));
    screenshot("networks");

    try (TestClient admin =
        TestClient.connect(
            TestClient.trusting(live.data().resolve("tls/ca.crt")),
            live.url().toString(),
            live.token("admin"))) {
      admin.request(
          "publish",
          Map.of(
              "module",
              "echo",
              "process",
              "4242",
              "ttl",
              "60s",
              "apis",
              List.of(
                  Map.of(
                      "name", "grpc", "address", "127.0.0.1", "port", 50051, "protocol", "grpc"))));
      open("#/registry");
      Waits.atMost(Duration.ofSeconds(5))
          .until(() -> text("tr[data-module=echo] td.ttl").matches("(59|60)s|1m 00s"));
      String before = text("tr[data-module=echo] td.ttl");
      Waits.atMost(Duration.ofSeconds(5))
          .until(() -> !text("tr[data-module=echo] td.ttl").equals(before));
      assertThat(text("tr[data-module=echo]")).contains("grpc 127.0.0.1:50051 grpc");
      screenshot("registry");

      open("#/events");
      browser.findElement(By.id("events-pause")).click();
      int held = held();
      String newest = texts("#events li").getFirst();
      admin.request("unpublish", Map.of("module", "echo"));
      Waits.atMost(Duration.ofSeconds(5)).until(() -> held() > held);
      assertThat(texts("#events li").getFirst()).isEqualTo(newest);
      assertThat(texts("#events li")).noneMatch(l -> l.contains("service_removed Published/echo"));
      browser.findElement(By.id("events-pause")).click();
      assertThat(text("#events-status")).isEqualTo("live");
      assertThat(texts("#events li"))
          .anyMatch(l -> l.contains("service_removed Published/echo unpublished process 4242"));
      screenshot("events");
      js(
          "const s = document.getElementById('events-type'); s.value = 'service_registered';"
              + " s.dispatchEvent(new Event('change'));");
      assertThat(texts("#events li"))
          .isNotEmpty()
          .allMatch(l -> l.contains(" service_registered "));
    }
  }

  @Test
  @Order(8)
  void planText_ofAPlanWithWaves_isWhatSvcregPlanPrints() throws Exception {
    // other specs beside the live ones (the same ../packages): web changed, shop gone, cart new
    Path other = Files.createDirectories(live.specs().resolveSibling("other-specs"));
    Files.copy(live.specs().resolve("network.yaml"), other.resolve("network.yaml"));
    Files.writeString(
        other.resolve("web.yaml"),
        Files.readString(live.specs().resolve("web.yaml")).replace("8080", "9090"));
    Files.writeString(
        other.resolve("cart.yaml"),
        Files.readString(live.specs().resolve("shop.yaml"))
            .replace("shop", "cart")
            .replace("8081", "8082"));
    LiveApi.pkg(tmp.resolve("packages/cart"), "cart");
    String[] plan = {
      "plan",
      "--specs",
      other.toString(),
      "--server",
      live.url().toString(),
      "--data",
      live.data().toString()
    };
    StringWriter text = new StringWriter();
    StringWriter json = new StringWriter();
    StringWriter err = new StringWriter();
    io.svcreg.Main.run(plan, new PrintWriter(text), new PrintWriter(err));
    String[] asJson = java.util.Arrays.copyOf(plan, plan.length + 2);
    asJson[plan.length] = "-o";
    asJson[plan.length + 1] = "json";
    io.svcreg.Main.run(asJson, new PrintWriter(json), new PrintWriter(err));
    assertThat(err.toString()).isEmpty();
    assertThat(text.toString())
        .contains("+ Service/cart")
        .contains("~ Service/web")
        .contains("- Service/shop")
        .contains("Wave 2:");

    Object shown =
        ((JavascriptExecutor) browser)
            .executeAsyncScript(
                "const done = arguments[arguments.length - 1];"
                    + "import(new URL('plan.js', location.href).href)"
                    + ".then(m => done(m.lines(JSON.parse(arguments[0])).join('\\n')))"
                    + ".catch(e => done('error: ' + e));",
                json.toString());
    assertThat(shown).isEqualTo(text.toString().strip());
  }

  @Test
  @Order(9)
  void readToken_seesNoActionButtons() throws Exception {
    login("read");
    assertThat(text("#role")).isEqualTo("role: read");
    open("#/service/web");
    Waits.atMost(Duration.ofSeconds(10)).until(() -> "running".equals(text("#service-phase")));
    assertThat(browser.findElements(By.cssSelector("button.action"))).isEmpty();
  }

  @Test
  @Order(10)
  void eventsNoLongerKept_afterADisconnection_pageListsEverythingAgain() throws Exception {
    open("#/services");
    js("window.notReloaded = true");
    live.whileServerStopped(
        () -> {
          Waits.atMost(Duration.ofSeconds(10)).until(() -> !"live".equals(text("#conn")));
          setWebTier("red");
          // more than the journal keeps: the page's revision is no longer there to resume after
          for (int done = 0; done < 10_500; done += 100) {
            Transaction tx = new Transaction();
            for (int i = 0; i < 100; i++) {
              tx.event("service_updated", "Service/web", Map.of("n", done + i));
            }
            live.app().store().commit(tx);
          }
        });
    Waits.atMost(Duration.ofSeconds(30))
        .until(() -> text("#notice").contains("no longer kept: listed everything again"));
    Waits.atMost(Duration.ofSeconds(10)).until(() -> "live".equals(text("#conn")));
    assertThat(text("tr[data-service=web] .labels")).contains("tier=red");
    assertThat(js("return window.notReloaded === true")).isEqualTo(true);
  }

  @Test
  @Order(11)
  void controllerRestart_pageReconnectsAndResumes() throws Exception {
    open("#/services");
    js("window.notReloaded = true");
    live.restartController();
    setWebTier("blue");
    Waits.atMost(Duration.ofSeconds(30))
        .until(() -> text("tr[data-service=web] .labels").contains("tier=blue"));
    Waits.atMost(Duration.ofSeconds(10)).until(() -> "live".equals(text("#conn")));
    assertThat(js("return window.notReloaded === true")).isEqualTo(true);
    // the page is a client of the new server
    var metrics =
        TestClient.http(TestClient.trusting(live.data().resolve("tls/ca.crt")))
            .send(
                HttpRequest.newBuilder(URI.create(page.replace("/ui/", "/metrics"))).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(metrics.body()).containsPattern("(?m)^svcreg_api_connections 1(\\.0)?$");
    // the events view holds no event twice across the reconnect
    open("#/events");
    assertThat(texts("#events li")).doesNotHaveDuplicates();
    List<LogEntry> problems =
        browser.manage().logs().get(LogType.BROWSER).getAll().stream()
            .filter(e -> e.getMessage().contains("Content Security Policy"))
            .toList();
    assertThat(problems).isEmpty();
  }

  // ------------------------------------------------------------------ helpers

  /** Opens the page with an empty session, gives the token of {@code role}, waits until live. */
  private static void login(String role) {
    browser.get(page);
    js("sessionStorage.clear()");
    browser.navigate().refresh();
    Waits.atMost(Duration.ofSeconds(10))
        .until(() -> browser.findElement(By.id("login")).isDisplayed());
    browser.findElement(By.id("token")).sendKeys(live.token(role));
    browser.findElement(By.cssSelector("#login button[type=submit]")).click();
    Waits.atMost(Duration.ofSeconds(10)).until(() -> "live".equals(text("#conn")));
    assertThat(browser.findElement(By.id("login")).isDisplayed()).isFalse();
  }

  private static void open(String hash) {
    js("location.hash = arguments[0]", hash);
  }

  private static Object js(String script, Object... args) {
    return ((JavascriptExecutor) browser).executeScript(script, args);
  }

  /**
   * The text of the first element {@code css} selects, or null (read in the page: no stale refs).
   */
  private static String text(String css) {
    Object t =
        js("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", css);
    return t == null ? "" : t.toString();
  }

  @SuppressWarnings("unchecked")
  private static List<String> texts(String css) {
    return (List<String>)
        js("return [...document.querySelectorAll(arguments[0])].map(e => e.textContent);", css);
  }

  /** Sets web's label {@code tier} in its spec file; waits until the controller has read it. */
  private static void setWebTier(String tier) {
    Path spec = live.specs().resolve("web.yaml");
    try {
      String text = Files.readString(spec);
      Files.writeString(
          spec,
          text.contains("tier: ")
              ? text.replaceAll("tier: \\w+", "tier: " + tier)
              : text.replace(
                  "metadata: {name: web}", "metadata: {name: web, labels: {tier: " + tier + "}}"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Waits.atMost(Duration.ofSeconds(30))
        .until(
            () ->
                live.app()
                    .store()
                    .service("web")
                    .map(s -> tier.equals(s.metadata().labels().get("tier")))
                    .orElse(false));
  }

  /** How many events a paused events view holds back. */
  private static int held() {
    String status = text("#events-status");
    assertThat(status).startsWith("paused: ");
    return Integer.parseInt(status.split(" ")[1]);
  }

  private static int indexOf(List<String> lines, String part) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(part)) {
        return i;
      }
    }
    return -1;
  }

  private static void screenshot(String view) throws Exception {
    Files.write(SCREENSHOTS.resolve(view + ".png"), browser.getScreenshotAs(OutputType.BYTES));
  }
}

package io.svcreg.crash;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.Waits;
import io.svcreg.core.Lease;
import io.svcreg.core.ObservedService;
import io.svcreg.core.ObservedState;
import io.svcreg.crash.Fleet.Svc;
import io.svcreg.deploy.RunRecord;
import io.svcreg.schema.Phase;
import io.svcreg.schema.ServiceStatus;
import io.svcreg.store.Event;
import io.svcreg.store.EventsSince;
import io.svcreg.store.InventoryEntry;
import io.svcreg.store.Store;
import io.svcreg.store.StoreOptions;
import io.svcreg.store.Transaction;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 3's promise: {@code kill -9} of the controller at any moment, and a restart, loses nothing
 * and duplicates nothing. {@code svcreg serve} runs as a process of its own on a fleet of services
 * with dependencies; it is killed with SIGKILL at moments drawn from a seeded {@link Random} (after
 * the Nth service log line of a run, plus a random delay), also while the specs change (a service
 * added or removed, a version bumped), each time restarted on the same data directory. After the
 * last restart it must converge, and the invariants hold: every service runs and answers, one
 * process per service, one address per service and no address twice, no leaked lease, no
 * half-installed version, and a journal without gaps.
 *
 * <p>{@code -Dsvcreg.crash.kills=N} sets the number of kills (default 12), {@code
 * -Dsvcreg.crash.seed=S} makes the same random choices again (the seed is printed and in every
 * failure; the timing of the processes differs from run to run).
 */
class ControllerCrashIT {

  private static final int KILLS = Integer.getInteger("svcreg.crash.kills", 12);
  private static final int LOSS_KILLS = Integer.getInteger("svcreg.crash.loss-kills", 10);
  private static final long SEED = Long.getLong("svcreg.crash.seed", System.nanoTime());
  private static final Pattern START_REVISION = Pattern.compile("store revision (\\d+)");

  @TempDir Path tmp;

  private Fleet fleet;
  private ServeProcess current;
  private final List<String> history = new ArrayList<>();

  @AfterEach
  void stopEverything(TestInfo test) throws IOException {
    if (current != null) {
      current.dumpThreads(); // still running only when the test failed: where was it?
      current.close();
    }
    if (fleet != null && Files.exists(fleet.specs.resolve("fleet.yaml"))) {
      Files.createDirectories(tmp.resolve("logs"));
      Files.copy(
          fleet.specs.resolve("fleet.yaml"),
          tmp.resolve("logs/fleet.yaml"),
          StandardCopyOption.REPLACE_EXISTING);
    }
    if (fleet != null && Files.exists(fleet.data.resolve("observed.json"))) {
      Files.copy(
          fleet.data.resolve("observed.json"),
          tmp.resolve("logs/observed.json"),
          StandardCopyOption.REPLACE_EXISTING);
    }
    ServeProcess.keepLogs(
        tmp.resolve("logs"), "ControllerCrashIT/" + test.getTestMethod().orElseThrow().getName());
    if (fleet != null) {
      ServiceProcesses.killAll(fleet.installRoot);
      Waits.atMost(Duration.ofSeconds(20))
          .alias("every process of the test's services is gone")
          .until(() -> ServiceProcesses.below(fleet.installRoot).isEmpty());
    }
  }

  @Test
  void controller_killedWithSigkillAtRandomMoments_convergesWithoutLossOrDuplicates()
      throws Exception {
    killAtRandomMoments(KILLS, false);
  }

  /**
   * Issue 14's promise: kills as above, and after some of them (or just before, under the running
   * controller) the store is lost in one of the ways of {@link StoreLoss}. The next {@code serve}
   * either restores the backup by itself (it agrees with the fleet) or refuses, naming {@code
   * svcreg recover --from-fleet}, which is run; nothing is ever started a second time, and at the
   * end the same invariants hold as without losses.
   */
  @Test
  void controller_killedAndItsStoreLostAtRandomMoments_recoversFromTheFleetWithoutDuplicates()
      throws Exception {
    killAtRandomMoments(LOSS_KILLS, true);
  }

  /** How a killed controller's store is lost. */
  enum StoreLoss {
    /** {@code data/store} deleted while the controller runs (it is killed a moment later). */
    DELETED_UNDER_IT,
    /** {@code data/store} deleted; its backup {@code store.bak} is kept. */
    STORE_DELETED,
    /** {@code data/store} and {@code data/store.bak} deleted. */
    STORE_AND_BACKUP_DELETED,
    /** Everything in the data directory but the install root deleted. */
    DATA_FILES_DELETED,
    /** The data directory deleted, with the install root in it: the services run on. */
    DATA_DIRECTORY_DELETED,
    /** Every data file of the store overwritten with random bytes. */
    DATA_FILES_GARBLED;

    void apply(Path data, Random random) throws IOException {
      Path store = data.resolve("store");
      switch (this) {
        case DELETED_UNDER_IT, STORE_DELETED -> deleteTree(store);
        case STORE_AND_BACKUP_DELETED -> {
          deleteTree(store);
          deleteTree(data.resolve("store.bak"));
        }
        case DATA_FILES_DELETED -> {
          try (Stream<Path> list = Files.list(data)) {
            for (Path p : list.toList()) {
              if (!p.getFileName().toString().equals("opt")) {
                deleteTree(p);
              }
            }
          }
        }
        case DATA_DIRECTORY_DELETED -> deleteTree(data);
        case DATA_FILES_GARBLED -> {
          if (Files.isDirectory(store)) {
            try (Stream<Path> walk = Files.walk(store)) {
              for (Path f : walk.filter(f -> f.toString().endsWith(".dat")).toList()) {
                byte[] bytes = Files.readAllBytes(f);
                random.nextBytes(bytes);
                Files.write(f, bytes);
              }
            }
          }
        }
      }
    }

    private static void deleteTree(Path dir) throws IOException {
      if (!Files.exists(dir)) {
        return;
      }
      try (Stream<Path> walk = Files.walk(dir)) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  private void killAtRandomMoments(int kills, boolean loseStores) throws Exception {
    Random random = new Random(SEED);
    history.add("seed " + SEED + " (replay with -Dsvcreg.crash.seed=" + SEED + ")");
    fleet = Fleet.create(tmp, random);
    for (String v : List.of("1.0.0", "1.1.0")) {
      fleet.makePackage("store", "store", v);
      fleet.makePackage("api", "api", v);
      fleet.makePackage("web", "web", v);
    }
    fleet.makePackage("cache", "store", "1.0.0");
    fleet
        .put(new Svc("store", "1.0.0", List.of()))
        .put(new Svc("api", "1.0.0", List.of("store")))
        .put(new Svc("web", "1.0.0", List.of("api")))
        .write();

    long seenRevision = 0; // the highest revision a snapshot showed: committed, so never lost
    boolean lost = false; // whether the store was lost since the last start
    for (int i = 1; i <= kills; i++) {
      // a converged fleet gets a change, so that every run has work to be killed in
      boolean idle = fleet.converged();
      String before = i > 1 && (idle || random.nextInt(3) == 0) ? change(random) : "";
      current = start("run " + i, lost);
      lost = false;
      int lines = 1 + random.nextInt(12);
      Waits.atMost(Duration.ofSeconds(90))
          .alias(
              what(
                  "run %d%s: %d service log lines or convergence"
                      .formatted(i, before.isEmpty() ? "" : " (" + before + " before)", lines)))
          .failFast(this::controllerRuns)
          .until(() -> startRevision(current) >= 0 && (serviceLines() >= lines || converged()));
      assertThat(startRevision(current))
          .as(what("the restarted controller found every revision a snapshot showed"))
          .isGreaterThanOrEqualTo(seenRevision);
      String during = before.isEmpty() && random.nextInt(3) == 0 ? change(random) : "";
      StoreLoss loss = null;
      if (loseStores && random.nextInt(5) == 0) {
        loss = StoreLoss.DELETED_UNDER_IT;
        loss.apply(fleet.data, random);
      }
      int delayMillis = random.nextBoolean() ? 0 : random.nextInt(1500);
      pause(delayMillis);
      seenRevision =
          Math.max(seenRevision, fleet.snapshot().map(ObservedState::revision).orElse(0L));
      List<String> log = current.logLines();
      current.kill();
      if (loss == null && loseStores && random.nextInt(2) == 0) {
        loss = StoreLoss.values()[1 + random.nextInt(StoreLoss.values().length - 1)];
        loss.apply(fleet.data, random);
      }
      if (loss != null) {
        lost = true;
        seenRevision = 0; // what a lost store had committed is the fleet's to tell now
      }
      history.add(
          "kill %d: %s%d service lines%s + %d ms, snapshot revision %d, last line: %s%s"
              .formatted(
                  i,
                  before.isEmpty() ? "" : before + " before start, ",
                  serviceLines(log),
                  during.isEmpty() ? "" : ", " + during,
                  delayMillis,
                  seenRevision,
                  log.isEmpty() ? "-" : log.getLast(),
                  loss == null ? "" : "; store " + loss));
      assertAtMostOneProcessPerService("after kill " + i);
    }

    // a kill in the middle of extracting a package that is never installed again (its service
    // was removed meanwhile) leaves such a directory; timing rarely hits it, so plant one
    Files.createDirectories(fleet.installRoot.resolve(".tmp.removed.4242/scripts"));
    long t0 = System.nanoTime();
    current = start("the last run", lost);
    Waits.atMost(Duration.ofSeconds(150))
        .alias(what("the fleet converges after the last restart"))
        .failFast(this::controllerRuns)
        .until(() -> startRevision(current) >= 0 && converged());
    history.add(
        "converged %d ms after the last start".formatted((System.nanoTime() - t0) / 1_000_000));
    assertThat(startRevision(current))
        .as(what("the last controller found every revision a snapshot showed"))
        .isGreaterThanOrEqualTo(seenRevision);

    ObservedState running = fleet.snapshot().orElseThrow();
    assertServicesAnswer(running);
    Map<String, Long> pids = assertOneProcessPerService(running);

    assertThat(current.terminate(Duration.ofSeconds(30)))
        .as(what("serve's exit code after SIGTERM (128 + 15)"))
        .isIn(0, 143);
    assertThat(assertOneProcessPerService(running))
        .as(what("the services keep running after the controller stopped"))
        .isEqualTo(pids);

    try (Store store =
        Store.open(fleet.data.resolve("store"), StoreOptions.defaults(), InstantSource.system())) {
      assertThat(store.recoveryNotice()).as(what("a cleanly stopped store")).isEmpty();
      assertStoreMatchesFleet(store.observed(), pids);
      assertInstallRootMatchesInventory(store.inventory());
      assertJournalWithoutGaps(store);
    }
    history.forEach(System.out::println);
  }

  /**
   * The moments random kills rarely hit: the controller recorded that it is stopping a service (or
   * installing one) and was killed before it did; meanwhile the spec went back to what runs, so no
   * action is due. The next controller records what is true and the service converges.
   */
  @Test
  void controller_killedAfterRecordingAStopBeforeDoingIt_recordsTheServiceAsRunning()
      throws Exception {
    long pid = convergeThenRecord(Phase.STOPPING);

    current = ServeProcess.start(tmp.resolve("logs"), fleet.serveArgs());
    Waits.atMost(Duration.ofSeconds(60))
        .alias(what("the store service is recorded as running again"))
        .failFast(this::controllerRuns)
        .until(() -> startRevision(current) >= 0 && converged());
    assertThat(fleet.snapshot().orElseThrow().service("store").orElseThrow().status().pid())
        .as("the same process: it was never stopped")
        .contains(pid);
    assertThat(current.stderr()).contains("Service/store: a stop was interrupted");
  }

  @Test
  void controller_killedDuringAnInstallOfAStoppedService_startsItAgain() throws Exception {
    convergeThenRecord(Phase.DEPLOYING);

    current = ServeProcess.start(tmp.resolve("logs"), fleet.serveArgs());
    Waits.atMost(Duration.ofSeconds(60))
        .alias(what("the store service runs again"))
        .failFast(this::controllerRuns)
        .until(() -> startRevision(current) >= 0 && converged());
    assertThat(current.stderr()).contains("Service/store: an install was interrupted");
    assertThat(ServiceProcesses.services(fleet.installRoot)).hasSize(1);
  }

  /**
   * Runs a one-service fleet to convergence, stops the controller, and writes {@code phase} into
   * the store as a controller killed right after recording it leaves it (for an install: the
   * service had stopped, so its process is killed and its pid cleared). Returns the pid.
   */
  private long convergeThenRecord(Phase phase) throws IOException {
    fleet = Fleet.create(tmp, new Random(SEED));
    fleet.makePackage("store", "store", "1.0.0");
    fleet.put(new Svc("store", "1.0.0", List.of())).write();
    current = ServeProcess.start(tmp.resolve("logs"), fleet.serveArgs());
    Waits.atMost(Duration.ofSeconds(60))
        .alias(what("the store service converges"))
        .failFast(this::controllerRuns)
        .until(() -> startRevision(current) >= 0 && converged());
    current.terminate(Duration.ofSeconds(30));
    long pid = fleet.snapshot().orElseThrow().service("store").orElseThrow().status().pid().get();
    Files.delete(fleet.data.resolve("observed.json")); // the next controller writes its own
    if (phase == Phase.DEPLOYING) {
      ServiceProcesses.killAll(fleet.installRoot);
      Waits.atMost(Duration.ofSeconds(20))
          .until(() -> ServiceProcesses.below(fleet.installRoot).isEmpty());
    }
    try (Store store =
        Store.open(fleet.data.resolve("store"), StoreOptions.defaults(), InstantSource.system())) {
      ObservedService o = store.service("store").orElseThrow();
      ServiceStatus st = o.status();
      ServiceStatus recorded =
          new ServiceStatus(
              phase,
              st.observedGeneration(),
              st.deployedVersion(),
              st.previousVersion(),
              st.node(),
              st.address(),
              st.endpoints(),
              phase == Phase.DEPLOYING ? Optional.empty() : st.pid(),
              st.health(),
              st.conditions(),
              st.lastError(),
              st.sourceRevision());
      store.commit(
          new Transaction()
              .putService(
                  new ObservedService(
                      o.metadata(), o.generation(), o.specHash(), o.spec(), recorded)));
    }
    return pid;
  }

  // ------------------------------------------------------------------ the kill schedule

  /** Changes the declared fleet (and publishes it): adds/removes cache, or bumps a version. */
  private String change(Random random) {
    Map<String, Svc> d = fleet.desired();
    String what =
        switch (random.nextInt(4)) {
          case 0 -> {
            if (d.containsKey("cache")) {
              fleet.remove("cache");
              yield "cache removed";
            }
            fleet.put(new Svc("cache", "1.0.0", List.of()));
            yield "cache added";
          }
          case 1 -> bump(d.get("api"));
          case 2 -> bump(d.get("web"));
          default -> bump(d.get("store"));
        };
    fleet.write();
    return what;
  }

  private String bump(Svc s) {
    String v = s.version().equals("1.0.0") ? "1.1.0" : "1.0.0";
    fleet.put(s.withVersion(v));
    return s.name() + " " + s.version() + " → " + v;
  }

  /**
   * Starts {@code serve}. After a lost store ({@code lost}) it may refuse, naming {@code svcreg
   * recover --from-fleet}: that is run, and {@code serve} started again. Without a loss it must
   * start.
   */
  private ServeProcess start(String run, boolean lost) {
    ServeProcess p = ServeProcess.start(tmp.resolve("logs"), fleet.serveArgs());
    if (!lost) {
      return p;
    }
    Waits.atMost(Duration.ofSeconds(90))
        .alias(what(run + ": serve starts or refuses after the store was lost"))
        .until(() -> startRevision(p) >= 0 || !p.alive());
    if (p.alive()) {
      history.add(run + ": serve started on what was left" + restored(p));
      return p;
    }
    int code = p.awaitExit(Duration.ofSeconds(10));
    String refusal = p.stderr();
    assertThat(refusal)
        .as(what(run + ": serve exited " + code + " naming recover --from-fleet"))
        .contains("svcreg recover --data")
        .contains("--from-fleet");
    ServeProcess.Result r =
        ServeProcess.run(
            tmp.resolve("logs"),
            Duration.ofSeconds(120),
            "recover",
            "--from-fleet",
            "--specs",
            fleet.specs.toString(),
            "--data",
            fleet.data.toString());
    assertThat(r.exitCode())
        .as(
            what(
                run
                    + ": recover --from-fleet: "
                    + r.stdout()
                    + r.stderr()
                    + "\ndeclared: "
                    + fleet.desired().keySet()))
        .isZero();
    history.add(
        run
            + ": serve refused; recover --from-fleet: "
            + r.stdout().lines().map(String::strip).filter(l -> l.startsWith("adopted ")).toList());
    return ServeProcess.start(tmp.resolve("logs"), fleet.serveArgs());
  }

  private static String restored(ServeProcess p) {
    return p.stderr().contains("restored its backup") ? " (its backup, restored)" : "";
  }

  private static void pause(int millis) {
    if (millis > 0) {
      Waits.atMost(Duration.ofMillis(millis).plusSeconds(5))
          .pollDelay(Duration.ofMillis(millis))
          .until(() -> true);
    }
  }

  private long serviceLines() {
    return serviceLines(current.logLines());
  }

  private static long serviceLines(List<String> log) {
    return log.stream().filter(l -> l.contains(" Service/")).count();
  }

  private void controllerRuns() {
    assertThat(current.alive())
        .as(() -> what("the controller runs; its log:\n" + current.stderr()))
        .isTrue();
  }

  private boolean converged() {
    return fleet.converged();
  }

  /** The revision the controller's store had when it started, or -1 before it said so. */
  private static long startRevision(ServeProcess p) {
    Matcher m = START_REVISION.matcher(p.stderr());
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  // ------------------------------------------------------------------ invariants

  private void assertServicesAnswer(ObservedState o) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    for (String name : fleet.desired().keySet()) {
      String ip = o.service(name).orElseThrow().status().address().orElseThrow().toString();
      String path = name.equals("web") ? "/" : "/healthz";
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create("http://" + ip + ":" + fleet.port + path))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode())
          .as(what(name + " answers GET " + path + ": " + r.body()))
          .isEqualTo(200);
    }
  }

  /** Sampled after each kill: never two processes of one service (a duplicate start). */
  private void assertAtMostOneProcessPerService(String when) {
    Map<String, List<Long>> byService =
        ServiceProcesses.services(fleet.installRoot).stream()
            .collect(
                Collectors.groupingBy(
                    ServiceProcesses.Found::service,
                    TreeMap::new,
                    Collectors.mapping(ServiceProcesses.Found::pid, Collectors.toList())));
    byService.forEach(
        (name, pids) ->
            assertThat(pids).as(what(when + ": the processes of " + name)).hasSizeLessThan(2));
  }

  /**
   * Exactly one process (group) per declared service, none for anything else: the one the status
   * names, in its own group, on its address, from its version's install directory. Returns the
   * pids.
   */
  private Map<String, Long> assertOneProcessPerService(ObservedState o) {
    List<ServiceProcesses.Found> found = ServiceProcesses.services(fleet.installRoot);
    assertThat(found.stream().map(ServiceProcesses.Found::service).sorted().toList())
        .as(what("one service process per declared service: " + found))
        .containsExactlyElementsOf(fleet.desired().keySet());
    Map<String, Long> pids = new TreeMap<>();
    for (ServiceProcesses.Found f : found) {
      var st = o.service(f.service()).orElseThrow().status();
      Svc want = fleet.desired().get(f.service());
      assertThat(f.pid())
          .as(what(f.service() + "'s recorded pid"))
          .isEqualTo(st.pid().orElseThrow());
      assertThat(f.pgid())
          .as(what(f.service() + " leads its own process group"))
          .isEqualTo(f.pid());
      assertThat(f.ip())
          .as(what(f.service() + "'s SERVICE_IP"))
          .isEqualTo(st.address().orElseThrow().toString());
      assertThat(Path.of(f.home()))
          .as(what(f.service() + "'s SERVICE_HOME"))
          .isEqualTo(
              fleet.installRoot.resolve(want.name() + "-" + want.version()).toAbsolutePath());
      pids.put(f.service(), f.pid());
    }
    return pids;
  }

  /** The stored state: the declared services, one lease each, unique addresses, the live pids. */
  private void assertStoreMatchesFleet(ObservedState o, Map<String, Long> pids) {
    Set<String> declared = fleet.desired().keySet();
    assertThat(o.services().stream().map(s -> s.metadata().name()).toList())
        .as(what("the stored services"))
        .containsExactlyElementsOf(declared);
    assertThat(o.leases().stream().map(Lease::service).sorted().toList())
        .as(what("one lease per declared service, none leaked: " + o.leases()))
        .containsExactlyElementsOf(declared);
    assertThat(o.leases().stream().map(l -> l.network() + " " + l.address()).distinct().count())
        .as(what("no address leased twice: " + o.leases()))
        .isEqualTo(o.leases().size());
    Set<String> addresses = new HashSet<>();
    for (ObservedService s : o.services()) {
      String name = s.metadata().name();
      var st = s.status();
      Lease lease =
          o.leases().stream().filter(l -> l.service().equals(name)).findFirst().orElseThrow();
      assertThat(st.address()).as(what(name + "'s address is its lease")).contains(lease.address());
      assertThat(addresses.add(lease.address().toString()))
          .as(what(name + "'s address " + lease.address() + " is nobody else's"))
          .isTrue();
      assertThat(st.pid()).as(what(name + "'s stored pid")).contains(pids.get(name));
      assertThat(st.deployedVersion())
          .as(what(name + "'s deployed version"))
          .contains(fleet.desired().get(name).version());
    }
  }

  /**
   * Every directory in the install root is a complete version directory recorded in the inventory
   * (no temporary or half-moved directory left), and every inventory entry exists on disk; the
   * other files are whole run records of declared services.
   */
  private void assertInstallRootMatchesInventory(List<InventoryEntry> inventory)
      throws IOException {
    Set<Path> onDisk = new TreeSet<>();
    try (Stream<Path> entries = Files.list(fleet.installRoot)) {
      for (Path e : entries.toList()) {
        String name = e.getFileName().toString();
        if (name.startsWith(RunRecord.PREFIX)) {
          assertThat(RunRecord.read(e).map(RunRecord::service))
              .as(what(e + " is the whole run record of a declared service"))
              .hasValueSatisfying(
                  service -> {
                    assertThat(fleet.desired()).containsKey(service);
                    assertThat(name).isEqualTo(RunRecord.fileName(service));
                  });
        } else {
          onDisk.add(e.toAbsolutePath().normalize());
        }
      }
    }
    Set<Path> recorded = new TreeSet<>();
    for (InventoryEntry e : inventory) {
      recorded.add(Path.of(e.path()).toAbsolutePath().normalize());
      assertThat(fleet.desired())
          .as(what("inventory entry " + e + " belongs to a declared service"))
          .containsKey(e.service());
    }
    assertThat(onDisk).as(what("the install root holds exactly the inventory")).isEqualTo(recorded);
    for (Path d : onDisk) {
      assertThat(d.resolve(".svcreg-install"))
          .as(what(d + " is a complete install"))
          .isRegularFile();
      assertThat(d.resolve("scripts/start.sh"))
          .as(what(d + " is a complete install"))
          .isRegularFile();
    }
    for (Svc s : fleet.desired().values()) {
      assertThat(recorded)
          .as(what(s.name() + " " + s.version() + " is in the inventory"))
          .contains(fleet.installRoot.resolve(s.name() + "-" + s.version()).toAbsolutePath());
    }
  }

  /** The journal's revisions increase by one from the oldest retained to the last: no gap. */
  private void assertJournalWithoutGaps(Store store) {
    EventsSince all = store.eventsSince(0);
    if (all instanceof EventsSince.Expired x) {
      all = store.eventsSince(x.oldestRetained() - 1);
    }
    assertThat(all).isInstanceOf(EventsSince.Events.class);
    List<Event> events = ((EventsSince.Events) all).events();
    assertThat(events).as(what("the journal")).isNotEmpty();
    long first = events.getFirst().revision();
    for (int i = 0; i < events.size(); i++) {
      assertThat(events.get(i).revision())
          .as(what("revision of journal entry " + i + " (strictly increasing, no gap)"))
          .isEqualTo(first + i);
    }
    assertThat(events.getLast().revision()).isEqualTo(store.lastRevision());
    history.add("journal: revisions " + first + ".." + store.lastRevision() + ", no gap");
  }

  private String what(String description) {
    return description + " [" + String.join("; ", history) + "]";
  }
}

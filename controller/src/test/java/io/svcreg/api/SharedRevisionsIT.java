package io.svcreg.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.ControllerApp;
import io.svcreg.Waits;
import io.svcreg.registry.Registry;
import io.svcreg.store.Event;
import io.svcreg.store.Store;
import io.svcreg.store.Transaction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events that share a revision, as in a replicated (HA) controller, go out as one {@code events}
 * message, live and in replays, after the subscription's filter: a watcher never gets part of a
 * revision, and resuming after one gets none of it again and misses nothing after it. A real
 * controller and API server over TLS, whose store takes its revisions from a replicator that, like
 * etcd, skips some.
 */
class SharedRevisionsIT {

  /** How far each replicated batch moves the revision (other keys' writes come between). */
  private static final long STEP = 3;

  @TempDir static Path tmp;

  /** A controller without specs whose store replicates; its API server. */
  static ControllerApp app;

  static ApiServer server;

  @BeforeAll
  static void start() throws Exception {
    app =
        ControllerApp.start(
            ControllerApp.Config.of(
                Files.createDirectories(tmp.resolve("specs")), tmp.resolve("data")));
    Store store = app.store();
    store.replicateTo(batch -> store.lastRevision() + STEP);
    server = app.startApi(ApiServerIT.options(), Registry.Options.DEFAULTS);
    Waits.atMost(Duration.ofSeconds(30))
        .until(() -> app.specsRead().isDone() && !app.controller().converging());
  }

  @AfterAll
  static void stop() {
    try (ControllerApp a = app;
        ApiServer s = server) {
      // closed: the server first, then the controller
    }
  }

  /** A connection to {@code api} with the read token. */
  private static TestClient connect(ApiServer api) throws Exception {
    SSLContext ssl = TestClient.trusting(tmp.resolve("data/tls/ca.crt"));
    return TestClient.connect(
        ssl, api.url(), Files.readString(tmp.resolve("data/tokens/read.token")));
  }

  /**
   * Commits one transaction journaling an event of each of {@code names}, in that order (keys
   * {@code Service/s0}, {@code Service/s1}, ...); returns the revision they all share.
   */
  private static long commit(String... names) {
    Transaction tx = new Transaction();
    for (int i = 0; i < names.length; i++) {
      tx.event(names[i], "Service/s" + i, Map.of("n", i));
    }
    List<Event> events = app.store().commit(tx);
    assertThat(events).hasSize(names.length);
    long revision = events.getFirst().revision();
    assertThat(events).extracting(Event::revision).containsOnly(revision);
    return revision;
  }

  /**
   * The event messages up to the one of revision {@code last}, each waited for: live events reach a
   * connection after the commit returns, not necessarily before the answer to a later request.
   */
  private static List<JsonNode> through(TestClient c, long last) throws Exception {
    List<JsonNode> got = new ArrayList<>();
    while (got.isEmpty() || got.getLast().path("revision").asLong() < last) {
      got.add(c.event());
    }
    return got;
  }

  /** A message's revision and the names of its events: "R a,b" for {@code events}, "R a" else. */
  private static String described(JsonNode m) {
    List<String> names = new ArrayList<>();
    if (m.path("type").asText().equals("events")) {
      m.path("events").forEach(e -> names.add(e.path("event").asText()));
    } else {
      names.add(m.path("event").asText());
    }
    return m.path("revision").asLong() + " " + String.join(",", names);
  }

  @Test
  void live_commitOfSeveralEvents_oneEventsMessageWithEachEventAsListed() throws Exception {
    try (TestClient c = connect(server)) {
      long from = c.request("subscribe", null).path("data").path("revision").asLong();
      assertThat(c.event().path("event").asText()).isEqualTo("registry_loaded");

      long shared = commit("reconcile_diff", "service_updated", "reconcile_diff");
      long single = commit("service_updated");

      JsonNode m = c.event();
      assertThat(m.path("type").asText()).isEqualTo("events");
      assertThat(m.path("revision").asLong()).isEqualTo(shared).isGreaterThan(from);
      assertThat(m.path("events")).hasSize(3);
      // each entry is the event exactly as a single event message has it, minus "type"
      JsonNode listed = c.request("list_events", Map.of("since", shared - 1, "limit", 3));
      assertThat(m.path("events")).isEqualTo(listed.path("data").path("events"));
      JsonNode first = m.path("events").get(0);
      assertThat(first.has("type")).isFalse();
      assertThat(first.path("event").asText()).isEqualTo("reconcile_diff");
      assertThat(first.path("revision").asLong()).isEqualTo(shared);
      assertThat(first.path("key").asText()).isEqualTo("Service/s0");
      assertThat(first.path("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*\\.\\d{3}Z");
      assertThat(first.path("data").path("n").asInt()).isZero();
      assertThat(m.path("events").get(2).path("key").asText()).isEqualTo("Service/s2");

      JsonNode alone = c.event();
      assertThat(alone.path("type").asText()).isEqualTo("event");
      assertThat(alone.path("revision").asLong()).isEqualTo(single).isEqualTo(shared + STEP);
      assertThat(alone.has("events")).isFalse();
    }
  }

  @Test
  void listEvents_pagedWithALimit_endsOnAWholeRevision() throws Exception {
    try (TestClient c = connect(server)) {
      long before = c.request("server_info", null).path("data").path("revision").asLong();
      long first = commit("reconcile_diff", "service_updated", "reconcile_diff");
      long second = commit("service_updated", "reconcile_diff");

      JsonNode page = c.request("list_events", Map.of("since", before, "limit", 2));
      // the limit falls inside the first revision: its third event comes along
      assertThat(page.path("data").path("events").findValues("revision"))
          .extracting(JsonNode::asLong)
          .containsExactly(first, first, first);
      JsonNode next = c.request("list_events", Map.of("since", first, "limit", 2));
      assertThat(next.path("data").path("events").findValues("revision"))
          .extracting(JsonNode::asLong)
          .containsExactly(second, second);
    }
  }

  @Test
  void subscribeSince_replaysEachRevisionAsOneMessage_andSinceItGetsNoneOfItAgainNorAGap()
      throws Exception {
    long before = app.store().lastRevision();
    long a = commit("reconcile_diff", "service_updated", "reconcile_diff");
    long b = commit("service_updated", "reconcile_diff");
    long c1 = commit("reconcile_diff");

    try (TestClient c = connect(server)) {
      assertThat(c.request("subscribe", Map.of("since", before)).path("data").path("revision"))
          .hasToString(Long.toString(before));
      assertThat(through(c, c1))
          .extracting(SharedRevisionsIT::described)
          .containsExactly(
              a + " reconcile_diff,service_updated,reconcile_diff",
              b + " service_updated,reconcile_diff",
              c1 + " reconcile_diff");
    }
    // resuming with since = a revision whose message came whole: the rest, nothing of it again
    try (TestClient c = connect(server)) {
      c.request("subscribe", Map.of("since", a));
      assertThat(through(c, c1))
          .extracting(SharedRevisionsIT::described)
          .containsExactly(b + " service_updated,reconcile_diff", c1 + " reconcile_diff");
      long d = commit("service_updated", "service_updated");
      assertThat(through(c, d))
          .extracting(SharedRevisionsIT::described)
          .as("then live, without a gap")
          .containsExactly(d + " service_updated,service_updated");
    }
    // between two revisions (they skip numbers): the next one whole
    try (TestClient c = connect(server)) {
      c.request("subscribe", Map.of("since", a + 1));
      assertThat(c.event().path("revision").asLong()).isEqualTo(b);
    }
  }

  @Test
  void filter_appliedFirst_thenWhatRemainsOfARevisionIsOneMessage() throws Exception {
    long before = app.store().lastRevision();
    long a = commit("reconcile_diff", "service_updated", "reconcile_diff");
    long b = commit("service_updated", "reconcile_diff");
    commit("service_updated", "service_updated");
    List<String> expected = List.of(a + " reconcile_diff,reconcile_diff", b + " reconcile_diff");

    try (TestClient replayed = connect(server);
        TestClient live = connect(server)) {
      replayed.request("subscribe", Map.of("since", before, "events", List.of("reconcile_diff")));
      assertThat(through(replayed, b)).extracting(SharedRevisionsIT::described).isEqualTo(expected);

      live.request(
          "subscribe",
          Map.of("since", app.store().lastRevision(), "events", List.of("reconcile_diff")));
      long c = commit("reconcile_diff", "service_updated", "reconcile_diff");
      long d = commit("service_updated", "reconcile_diff");
      commit("service_updated", "service_updated");
      List<String> both = List.of(c + " reconcile_diff,reconcile_diff", d + " reconcile_diff");
      assertThat(through(live, d)).extracting(SharedRevisionsIT::described).isEqualTo(both);
      // the live watcher that had replayed: the same
      assertThat(through(replayed, d)).extracting(SharedRevisionsIT::described).isEqualTo(both);
    }
  }

  @Test
  void watcherWhoseQueueFilled_catchesUpRevisionByRevision_eachOnceAndWhole() throws Exception {
    // 16 messages at most in the queue: a watcher that stops reading fills it (once the socket's
    // buffers are full too), and then catches up from the journal, paced by what it reads
    ApiServer small =
        app.startApi(
            ApiServerIT.options().withLimits(1 << 20, 1024, 100, 200, 16, 4L << 20),
            Registry.Options.DEFAULTS);
    try (TestClient c = connect(small)) {
      long from = app.store().lastRevision();
      c.request("subscribe", Map.of("since", from));
      c.stall();
      Map<Long, Integer> committed = new LinkedHashMap<>();
      for (int round = 0; round < 200 && !full(small); round++) {
        padded(committed, 50);
      }
      assertThat(full(small)).as("the watcher's queue is full").isTrue();
      padded(committed, 20); // committed while it catches up
      assertThat(small.hub().connections()).hasSize(1).noneMatch(Connection::cutOff);
      c.resume();
      Map<Long, Integer> got = new LinkedHashMap<>();
      while (got.size() < committed.size()) {
        JsonNode m = c.event();
        long revision = m.path("revision").asLong();
        int n = m.path("type").asText().equals("events") ? m.path("events").size() : 1;
        assertThat(got.put(revision, n)).as("revision %d came twice", revision).isNull();
      }
      assertThat(got).containsExactlyEntriesOf(committed);
    } finally {
      small.close();
    }
  }

  /** Commits {@code revisions} revisions of 1 to 4 events of 4 KiB each; notes each's size. */
  private static void padded(Map<Long, Integer> committed, int revisions) {
    String pad = "x".repeat(4096);
    for (int i = 0; i < revisions; i++) {
      int n = 1 + committed.size() % 4;
      Transaction tx = new Transaction();
      for (int e = 0; e < n; e++) {
        tx.event("service_updated", "Service/p", Map.of("n", e, "pad", pad));
      }
      committed.put(app.store().commit(tx).getFirst().revision(), n);
    }
  }

  /** Whether a watcher's outbound queue holds 16 messages (it has no room). */
  private static boolean full(ApiServer s) {
    return s.hub().connections().stream().anyMatch(c -> c.queued() >= 16);
  }
}

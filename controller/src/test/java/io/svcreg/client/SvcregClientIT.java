package io.svcreg.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.Waits;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java client against a real server: requests, errors, subscriptions and their resumption. */
class SvcregClientIT {

  @TempDir static Path tmp;
  static LiveApi live;

  @BeforeAll
  static void start() {
    live = LiveApi.start(tmp);
  }

  @AfterAll
  static void stop() {
    if (live != null) {
      live.close();
    }
  }

  @Test
  void call_getService_returnsTheObservedService() {
    try (SvcregClient c = SvcregClient.connect(live.config("read"))) {
      JsonNode web = c.call("get_service", Map.of("name", "web"));

      assertThat(web.path("metadata").path("name").asText()).isEqualTo("web");
      assertThat(web.path("status").path("phase").asText()).isEqualTo("running");
    }
  }

  @Test
  void call_unknownService_throwsNotFound() {
    try (SvcregClient c = SvcregClient.connect(live.config("read"))) {
      assertThatThrownBy(() -> c.call("get_service", Map.of("name", "nope")))
          .isInstanceOfSatisfying(
              ApiException.class, e -> assertThat(e.code()).isEqualTo("not_found"));
    }
  }

  @Test
  void call_mutationWithReadToken_throwsForbidden() {
    try (SvcregClient c = SvcregClient.connect(live.config("read"))) {
      assertThatThrownBy(() -> c.call("service_action", Map.of("name", "web", "action", "restart")))
          .isInstanceOfSatisfying(
              ApiException.class, e -> assertThat(e.code()).isEqualTo("forbidden"));
    }
  }

  @Test
  void request_manyInFlight_eachGetsItsOwnResponse() {
    try (SvcregClient c = SvcregClient.connect(live.config("read"))) {
      var futures =
          LongStream.range(0, 50)
              .mapToObj(i -> c.request("get_service", Map.of("name", i % 2 == 0 ? "web" : "x")))
              .toList();

      for (int i = 0; i < futures.size(); i++) {
        if (i % 2 == 0) {
          assertThat(futures.get(i).join().path("metadata").path("name").asText()).isEqualTo("web");
        } else {
          int index = i;
          assertThatThrownBy(() -> futures.get(index).join())
              .isInstanceOf(CompletionException.class)
              .cause()
              .isInstanceOf(ApiException.class);
        }
      }
    }
  }

  @Test
  void connect_wrongToken_isAOneLineRefusal() {
    ClientConfig bad =
        ClientConfig.of(
            live.url(), ClientConfig.trusting(live.data().resolve("tls/ca.crt")), "ca", "wrong");

    assertThatThrownBy(() -> SvcregClient.connect(bad))
        .isInstanceOfSatisfying(ConnectionException.class, e -> assertThat(e.permanent()).isTrue())
        .hasMessageContaining("refused the token (HTTP 401)")
        .hasMessageContaining("--token");
  }

  @Test
  void connect_certificateNotFromTheTrustedCa_saysToPassCa() {
    ClientConfig untrusted =
        ClientConfig.of(live.url(), ClientConfig.systemTrust(), "the system trust store", "x");

    assertThatThrownBy(() -> SvcregClient.connect(untrusted))
        .isInstanceOf(ConnectionException.class)
        .hasMessageContaining("not trusted by the system trust store")
        .hasMessageContaining("--ca");
  }

  @Test
  void subscribe_withoutSince_startsWithTheSnapshotThenLiveEvents() throws Exception {
    List<Event> got = new CopyOnWriteArrayList<>();
    try (SvcregClient c = SvcregClient.connect(live.config("read"))) {
      Subscription s =
          c.subscribe(List.of(), OptionalLong.empty(), got::add).get(10, TimeUnit.SECONDS);
      long last = live.emit(3);

      Waits.atMost(Duration.ofSeconds(10)).until(() -> s.lastRevision() >= last);

      assertThat(got.get(0).event()).isEqualTo("registry_loaded");
      assertThat(got.get(0).data().path("services").get(0).path("metadata").path("name").asText())
          .isEqualTo("web");
      assertThat(got.subList(1, got.size()))
          .extracting(Event::revision)
          .isSorted()
          .doesNotHaveDuplicates()
          .contains(last - 2, last - 1, last);
    }
  }

  @Test
  void subscribe_sinceBeyondTheJournal_failsRevisionExpired() {
    try (SvcregClient c = SvcregClient.connect(live.config("read"))) {
      long last = live.emit(1);

      assertThatThrownBy(() -> c.subscribe(List.of(), OptionalLong.of(last + 1000), e -> {}).join())
          .cause()
          .isInstanceOfSatisfying(
              ApiException.class,
              e -> {
                assertThat(e.code()).isEqualTo("revision_expired");
                assertThat(e.details().has("oldestRevision")).isTrue();
              });
    }
  }

  @Test
  void subscribe_connectionDroppedAtRandomPoints_deliversEveryEventOnceInOrder() throws Exception {
    Random random = new Random(42);
    List<Long> got = Collections.synchronizedList(new ArrayList<>());
    try (SvcregClient c = SvcregClient.connect(live.config("read"))) {
      long start = live.emit(1);
      Subscription s =
          c.subscribe(List.of("reconcile_diff"), OptionalLong.of(start), e -> got.add(e.revision()))
              .get(10, TimeUnit.SECONDS);
      long last = start;
      for (int round = 0; round < 25; round++) {
        last = live.emit(1 + random.nextInt(8));
        if (random.nextBoolean()) {
          c.abortConnection(); // at once: maybe mid-replay, maybe between events
        } else {
          long target = last - random.nextInt(4);
          Waits.atMost(Duration.ofSeconds(10)).until(() -> s.lastRevision() >= target);
          c.abortConnection();
        }
      }
      long end = live.emit(5);

      Waits.atMost(Duration.ofSeconds(30)).until(() -> s.lastRevision() >= end);
      assertThat(s.done()).isNotDone();
      assertThat(got)
          .containsExactlyElementsOf(LongStream.rangeClosed(start + 1, end).boxed().toList());
    }
  }

  @Test
  void subscribe_sharedRevisionsAndDroppedConnections_deliversEveryEventOnceRevisionsWhole()
      throws Exception {
    Random random = new Random(43);
    List<String> got = Collections.synchronizedList(new ArrayList<>());
    List<String> expected = new ArrayList<>();
    AtomicReference<Subscription> sub = new AtomicReference<>();
    List<String> early = new CopyOnWriteArrayList<>();
    try (SvcregClient c = SvcregClient.connect(live.config("read"))) {
      long start = live.emit(1);
      SubscriptionListener listener =
          e -> {
            Subscription s = sub.get();
            if (s != null && s.lastRevision() >= e.revision()) {
              early.add(e.revision() + " counted as delivered before its events were");
            }
            got.add(revisionAndGeneration(e));
          };
      sub.set(
          c.subscribe(List.of("reconcile_diff"), OptionalLong.of(start), listener)
              .get(10, TimeUnit.SECONDS));
      long last = start;
      for (int round = 0; round < 25; round++) {
        int n = 1 + random.nextInt(4);
        last = live.emitShared(n);
        for (int g = 0; g < n; g++) {
          expected.add(last + "/" + g);
        }
        if (random.nextBoolean()) {
          c.abortConnection(); // at once: maybe mid-replay, maybe between messages
        } else {
          long target = last;
          Waits.atMost(Duration.ofSeconds(10)).until(() -> sub.get().lastRevision() >= target);
          c.abortConnection();
        }
      }
      long end = live.emitShared(3);
      expected.addAll(List.of(end + "/0", end + "/1", end + "/2"));

      Waits.atMost(Duration.ofSeconds(30)).until(() -> sub.get().lastRevision() >= end);
      assertThat(sub.get().done()).isNotDone();
      assertThat(got).containsExactlyElementsOf(expected);
      assertThat(early).isEmpty();
    }
  }

  @Test
  void subscribe_revisionDeliveredAlready_droppedWhetherItComesAgainAsEventOrEvents()
      throws Exception {
    List<Event> got = new CopyOnWriteArrayList<>();
    CountDownLatch resumed = new CountDownLatch(1);
    try (SvcregClient c = SvcregClient.connect(live.config("read"))) {
      long start = live.emit(1);
      Subscription s = watchDiffs(c, start, got::add, after -> resumed.countDown());
      long shared = live.emitShared(3);
      Waits.atMost(Duration.ofSeconds(10)).until(() -> s.lastRevision() >= shared);
      c.abortConnection();
      assertThat(resumed.await(10, TimeUnit.SECONDS)).isTrue();

      // that revision again, whole or a part of it, in either message: none of it is delivered
      String entry =
          "{\"event\":\"reconcile_diff\",\"revision\":%d,\"time\":\"2026-11-22T10:00:00.000Z\","
              + "\"key\":\"Service/web\",\"data\":{\"generation\":%d}}";
      c.received("{\"type\":\"event\"," + entry.formatted(shared, 7).substring(1));
      c.received(
          "{\"type\":\"events\",\"revision\":%d,\"events\":[%s,%s]}"
              .formatted(shared, entry.formatted(shared, 8), entry.formatted(shared, 9)));
      long next = live.emitShared(2);

      Waits.atMost(Duration.ofSeconds(10)).until(() -> s.lastRevision() >= next);
      assertThat(got)
          .extracting(SvcregClientIT::revisionAndGeneration)
          .containsExactly(shared + "/0", shared + "/1", shared + "/2", next + "/0", next + "/1");
      // each event of an events message is as a single event message would have it
      assertThat(got.get(1).json().path("type").asText()).isEqualTo("event");
      assertThat(got.get(1).json().fieldNames())
          .toIterable()
          .containsExactly("type", "event", "revision", "time", "key", "data");
      assertThat(got.get(1).key()).isEqualTo("Service/web");
      assertThat(got.get(1).event()).isEqualTo("reconcile_diff");
    }
  }

  private static String revisionAndGeneration(Event e) {
    return e.revision() + "/" + e.data().path("generation").asInt();
  }

  /**
   * Subscribes {@code c} to the {@code reconcile_diff} events after {@code start}: each event to
   * {@code events}, each resumption (with the revision it resumed after) to {@code resumed}.
   */
  private static Subscription watchDiffs(
      SvcregClient c, long start, Consumer<Event> events, LongConsumer resumed) throws Exception {
    return c.subscribe(
            List.of("reconcile_diff"),
            OptionalLong.of(start),
            new SubscriptionListener() {
              @Override
              public void onEvent(Event e) {
                events.accept(e);
              }

              @Override
              public void onResumed(long after) {
                resumed.accept(after);
              }
            })
        .get(10, TimeUnit.SECONDS);
  }

  @Test
  void subscribe_serverRestarted_resumesWithoutGap() throws Exception {
    List<Long> got = Collections.synchronizedList(new ArrayList<>());
    List<String> notices = new CopyOnWriteArrayList<>();
    try (SvcregClient c = SvcregClient.connect(live.config("read"))) {
      long start = live.emit(1);
      Subscription s =
          watchDiffs(
              c, start, e -> got.add(e.revision()), after -> notices.add("resumed after " + after));
      live.emit(3);
      live.restartServer();
      long end = live.emit(4); // committed while the client may still be reconnecting

      Waits.atMost(Duration.ofSeconds(30)).until(() -> s.lastRevision() >= end);
      assertThat(got)
          .containsExactlyElementsOf(LongStream.rangeClosed(start + 1, end).boxed().toList());
      assertThat(notices).isNotEmpty();
    }
  }

  @Test
  void twoWatchers_sameFilter_seeTheSameEvents() throws Exception {
    List<Long> a = new CopyOnWriteArrayList<>();
    List<Long> b = new CopyOnWriteArrayList<>();
    try (SvcregClient ca = SvcregClient.connect(live.config("read"));
        SvcregClient cb = SvcregClient.connect(live.config("admin"))) {
      long start = live.emit(1);
      Subscription sa =
          ca.subscribe(List.of("reconcile_diff"), OptionalLong.of(start), e -> a.add(e.revision()))
              .get(10, TimeUnit.SECONDS);
      Subscription sb =
          cb.subscribe(List.of("reconcile_diff"), OptionalLong.of(start), e -> b.add(e.revision()))
              .get(10, TimeUnit.SECONDS);
      long end = live.emit(20);

      Waits.atMost(Duration.ofSeconds(10))
          .until(() -> sa.lastRevision() >= end && sb.lastRevision() >= end);
      assertThat(a).hasSize(20).containsExactlyElementsOf(b);
    }
  }

  @Test
  void close_subscription_stopsDelivery() throws Exception {
    List<Long> got = new CopyOnWriteArrayList<>();
    try (SvcregClient c = SvcregClient.connect(live.config("read"))) {
      long start = live.emit(1);
      Subscription s =
          c.subscribe(List.of("reconcile_diff"), OptionalLong.of(start), e -> got.add(e.revision()))
              .get(10, TimeUnit.SECONDS);
      s.close();
      live.emit(3);
      // a request answered after the emit proves the connection read past those events
      c.call("server_info", Map.of());

      assertThat(got).isEmpty();
      assertThat(s.done()).isCompleted();
    }
  }

  @Test
  void url_withoutServer_isConnectionRefusedWithHint() {
    ClientConfig cfg =
        ClientConfig.of(URI.create("wss://127.0.0.1:1/v1/ws"), ClientConfig.systemTrust(), "x", "t")
            .withHint("(data dir .svcreg)");

    assertThatThrownBy(() -> SvcregClient.connect(cfg))
        .hasMessage(
            "cannot reach wss://127.0.0.1:1/v1/ws: connection refused; is `svcreg serve` running?"
                + " (data dir .svcreg)");
  }
}

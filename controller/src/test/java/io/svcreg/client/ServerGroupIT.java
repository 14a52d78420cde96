package io.svcreg.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.Waits;
import io.svcreg.api.ApiServer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java client with several servers, as the members of a high-availability group: a leader
 * (whose store takes writes, served by one or two API servers on the same journal) and a standby
 * with the same CA and tokens whose store follows ({@link io.svcreg.store.Store#follow}), naming
 * the leader or no one.
 */
class ServerGroupIT {

  /** Nothing listens there: connection refused. */
  private static final URI DOWN = URI.create("wss://127.0.0.1:1/v1/ws");

  @TempDir static Path tmp;
  static LiveApi leader;
  static LiveApi standby;

  /** The leader the standby's store names in its not_leader answers. */
  static final AtomicReference<Optional<String>> named = new AtomicReference<>(Optional.empty());

  @BeforeAll
  static void start() {
    leader = LiveApi.start(tmp.resolve("leader"));
    standby = LiveApi.startMember(tmp.resolve("standby"), leader);
    standby.app().queue().hold(); // a standby's loop does not act
    standby.app().store().follow(named::get);
  }

  @AfterAll
  static void stop() {
    for (LiveApi live : new LiveApi[] {standby, leader}) {
      if (live != null) {
        live.close();
      }
    }
  }

  @BeforeEach
  void leaderNamed() {
    named.set(Optional.of(leader.url().toString()));
  }

  /** Publishes {@code module} with one API; the response data. */
  private static JsonNode publish(SvcregClient c, String module) {
    return c.publish(
        module,
        Optional.of("1"),
        List.of(new SvcregClient.PublishedApi("grpc", "127.0.0.1", 50051, "grpc")),
        Optional.empty());
  }

  @Test
  void connect_firstServerDown_connectsToTheNext() {
    try (SvcregClient c =
        SvcregClient.connect(leader.config("read").withServers(List.of(DOWN, leader.url())))) {
      JsonNode info = c.call("server_info", Map.of());

      assertThat(c.server()).isEqualTo(leader.url());
      assertThat(info.path("protocol").asInt()).isEqualTo(1);
    }
  }

  @Test
  void connect_noServerAnswers_namesEachServerAndWhy() {
    URI wrongPath = leader.url().resolve("/nope");
    ClientConfig none =
        leader.config("read").withServers(List.of(DOWN, wrongPath)).withHint("(data dir x)");

    assertThatThrownBy(() -> SvcregClient.connect(none))
        .isInstanceOfSatisfying(ConnectionException.class, e -> assertThat(e.permanent()).isFalse())
        .hasMessage(
            "none of the 2 servers answered: cannot reach "
                + DOWN
                + ": connection refused; "
                + wrongPath
                + ": no WebSocket API at this path (HTTP 404); the URL ends in /v1/ws"
                + " (data dir x)");
  }

  @Test
  void subscribe_itsServerCloses_resumesOnTheNextWithoutGapOrDuplicate() throws Exception {
    List<Long> got = Collections.synchronizedList(new ArrayList<>());
    List<String> resumed = new CopyOnWriteArrayList<>();
    ApiServer first = leader.startAnotherServer();
    URI firstUrl = URI.create(first.url());
    try (first;
        SvcregClient c =
            SvcregClient.connect(
                leader.config("read").withServers(List.of(firstUrl, leader.url())))) {
      long start = leader.emit(1);
      Subscription s =
          c.subscribe(
                  List.of("reconcile_diff"),
                  OptionalLong.of(start),
                  new SubscriptionListener() {
                    @Override
                    public void onEvent(Event e) {
                      got.add(e.revision());
                    }

                    @Override
                    public void onResumed(long after) {
                      resumed.add(c.server() + " after " + after);
                    }
                  })
              .get(10, TimeUnit.SECONDS);
      long before = leader.emit(3);
      Waits.atMost(Duration.ofSeconds(10)).until(() -> s.lastRevision() >= before);

      first.close(); // its connections drop
      long end = leader.emit(4); // committed while the client moves

      Waits.atMost(Duration.ofSeconds(20)).until(() -> s.lastRevision() >= end);
      assertThat(got)
          .containsExactlyElementsOf(LongStream.rangeClosed(start + 1, end).boxed().toList());
      assertThat(resumed).containsExactly(leader.url() + " after " + before);
      assertThat(s.done()).isNotDone();
    }
  }

  @Test
  void subscribe_resumedOnAMemberBehind_waitsUntilItCaughtUp() throws Exception {
    List<Long> got = new CopyOnWriteArrayList<>();
    List<String> drops = new CopyOnWriteArrayList<>();
    ApiServer first = leader.startAnotherServer();
    try (first;
        SvcregClient c =
            SvcregClient.connect(
                leader
                    .config("read")
                    .withServers(List.of(URI.create(first.url()), standby.url())))) {
      while (leader.app().store().lastRevision() <= standby.app().store().lastRevision() + 2) {
        leader.emit(1);
      }
      long since = leader.app().store().lastRevision();
      Subscription s =
          c.subscribe(
                  List.of("reconcile_diff"),
                  OptionalLong.of(since),
                  new SubscriptionListener() {
                    @Override
                    public void onEvent(Event e) {
                      got.add(e.revision());
                    }

                    @Override
                    public void onDisconnected(String why, Duration retryIn) {
                      drops.add(why);
                    }
                  })
              .get(10, TimeUnit.SECONDS);

      first.close(); // the stream resumes on the standby, which has not applied `since` yet
      String behind = standby.url() + " has not reached revision " + since + " yet";
      Waits.atMost(Duration.ofSeconds(10)).until(() -> drops.contains(behind));
      assertThat(s.done()).isNotDone();
      long caughtUp = standby.emitShared(1);
      while (caughtUp <= since) {
        caughtUp = standby.emitShared(1);
      }
      long last = caughtUp;

      Waits.atMost(Duration.ofSeconds(20)).until(() -> s.lastRevision() >= last);
      assertThat(c.server()).isEqualTo(standby.url());
      assertThat(got).isNotEmpty().allMatch(r -> r > since).contains(last);
      assertThat(s.done()).isNotDone();
    }
  }

  @Test
  void write_onAStandby_isSentAgainOnTheLeaderWhichTheClientKeeps() {
    try (SvcregClient c = SvcregClient.connect(standby.config("admin"))) {
      JsonNode published = publish(c, "echo-redirected");

      assertThat(published.path("outcome").asText()).isEqualTo("registered");
      assertThat(c.server()).isEqualTo(leader.url());
      // the leader wrote it; the standby, whose store is not replicated here, did not
      assertThat(c.discover("echo-redirected").path("endpoints").get(0).path("port").asInt())
          .isEqualTo(50051);
      try (SvcregClient atStandby = SvcregClient.connect(standby.config("read"))) {
        assertThatThrownBy(() -> atStandby.discover("echo-redirected"))
            .isInstanceOfSatisfying(
                ApiException.class, e -> assertThat(e.code()).isEqualTo("not_found"));
      }
    }
  }

  @Test
  void write_leaderThatRefusesToo_failsAfterOneRetry() {
    named.set(Optional.of(standby.url().toString())); // a stale leader: the standby itself
    try (SvcregClient c = SvcregClient.connect(standby.config("admin"))) {
      assertThatThrownBy(() -> publish(c, "echo-stale"))
          .isInstanceOfSatisfying(
              ApiException.class,
              e -> {
                assertThat(e.code()).isEqualTo(SvcregClient.NOT_LEADER);
                assertThat(e.details().path("leader").asText()).isEqualTo(standby.url().toString());
              })
          .hasMessageContaining("the leader is " + standby.url());
    }
  }

  @Test
  void write_noLeader_failsAfterTheFailoverWait() {
    named.set(Optional.empty());
    ClientConfig config = standby.config("admin").withFailoverWait(Duration.ofMillis(1500));
    try (SvcregClient c = SvcregClient.connect(config)) {
      long started = System.nanoTime();

      assertThatThrownBy(() -> publish(c, "echo-leaderless"))
          .isInstanceOfSatisfying(
              ApiException.class, e -> assertThat(e.code()).isEqualTo(SvcregClient.NOT_LEADER))
          .hasMessage(
              "publish refused: "
                  + standby.url()
                  + " is a standby and no member of its group took the lead within 1500 ms;"
                  + " nothing was written, try again later");
      assertThat(Duration.ofNanos(System.nanoTime() - started))
          .isBetween(Duration.ofMillis(1500), Duration.ofSeconds(5));
    }
  }

  @Test
  void write_noLeaderThenOne_isSentToItOnceElected() throws Exception {
    named.set(Optional.empty());
    try (SvcregClient c = SvcregClient.connect(standby.config("admin"))) {
      var published = CompletableFuture.supplyAsync(() -> publish(c, "echo-later"));
      Waits.atMost(Duration.ofSeconds(5))
          .alias("the write waits while no member leads")
          .during(Duration.ofMillis(400))
          .until(() -> !published.isDone());

      named.set(Optional.of(leader.url().toString()));

      assertThat(published.get(10, TimeUnit.SECONDS).path("outcome").asText())
          .isEqualTo("registered");
      assertThat(c.server()).isEqualTo(leader.url());
    }
  }
}

package io.svcreg.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.schema.Json;
import io.svcreg.store.Event;
import io.svcreg.store.EventsSince;
import io.svcreg.store.RegistryEntry;
import io.svcreg.store.Store;
import io.svcreg.store.StoreOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registry on a real store in a temporary directory, driven by a clock the test moves. */
class RegistryIT {

  static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

  /** A clock that moves only when told. */
  static final class TestClock implements InstantSource {
    private volatile Instant now = T0;

    @Override
    public Instant instant() {
      return now;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }
  }

  @TempDir Path tmp;

  final TestClock clock = new TestClock();
  Store store;
  Registry registry;

  @BeforeEach
  void open() {
    store = Store.open(tmp.resolve("store"), StoreOptions.defaults(), clock);
    registry = Registry.start(store, clock, Registry.Options.DEFAULTS);
  }

  @AfterEach
  void close() {
    registry.close();
    store.close();
  }

  static RegistryEntry.Api api(String name, int port) {
    return new RegistryEntry.Api(name, List.of(name), "127.0.0.1", port, "grpc");
  }

  static Registry.Publish publish(String module, String process, int port, Duration ttl) {
    return new Registry.Publish(
        module, Optional.ofNullable(process), List.of(api("echo", port)), Optional.ofNullable(ttl));
  }

  List<Event> events() {
    return ((EventsSince.Events) store.eventsSince(0)).events();
  }

  static JsonNode data(Event e) throws Exception {
    return Json.mapper().readTree(e.dataJson());
  }

  @Test
  void publish_manyModulesAtOnce_committedTogetherInOneDurableWrite() throws Exception {
    List<List<Event>> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    store.addCommitListener(
        events -> {
          heard.add(events);
          if (heard.size() == 1) {
            try {
              release.await(); // the first write holds the store while the others arrive
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        });
    Thread first =
        Thread.ofPlatform().start(() -> registry.publish(publish("m-first", null, 1, null)));
    io.svcreg.Waits.atMost(Duration.ofSeconds(10)).until(() -> heard.size() == 1);
    // modules on stripes of their own, and not the first one's
    java.util.Set<Integer> taken = new java.util.HashSet<>();
    taken.add(Math.floorMod("m-first".hashCode(), Registry.STRIPES));
    List<String> modules = new ArrayList<>();
    for (int i = 0; modules.size() < 8; i++) {
      if (taken.add(Math.floorMod(("m-" + i).hashCode(), Registry.STRIPES))) {
        modules.add("m-" + i);
      }
    }
    List<Thread> threads = new ArrayList<>();
    for (String m : modules) {
      threads.add(Thread.ofPlatform().start(() -> registry.publish(publish(m, null, 2, null))));
    }
    io.svcreg.Waits.atMost(Duration.ofSeconds(10))
        .until(() -> threads.stream().allMatch(t -> t.getState() == Thread.State.WAITING));

    release.countDown();
    first.join();
    for (Thread t : threads) {
      t.join();
    }

    assertThat(heard).extracting(List::size).containsExactly(1, 8);
    assertThat(registry.entries()).hasSize(9);
  }

  @Test
  void publish_newModule_registeredWithEventAndDefaultLease() throws Exception {
    Registry.Published p = registry.publish(publish("echo", "1234", 50051, null));

    assertThat(p.outcome()).isEqualTo(Registry.Outcome.REGISTERED);
    assertThat(p.entry().expiresAt()).isEqualTo(T0.plusSeconds(30));
    assertThat(registry.discover("echo")).contains(p.entry());
    Event e = events().getLast();
    assertThat(e.type()).isEqualTo(Event.SERVICE_REGISTERED);
    assertThat(e.key()).isEqualTo("Published/echo");
    assertThat(e.revision()).isEqualTo(p.revision());
    JsonNode d = data(e);
    assertThat(d.get("source").asText()).isEqualTo("published");
    assertThat(d.get("process").asText()).isEqualTo("1234");
    assertThat(d.get("apis").get(0).get("port").asInt()).isEqualTo(50051);
  }

  @Test
  void publish_sameContentAgain_refreshesLeaseWithoutEvent() {
    registry.publish(publish("echo", "1234", 50051, Duration.ofSeconds(10)));
    long revision = store.lastRevision();
    clock.advance(Duration.ofSeconds(8));

    Registry.Published again =
        registry.publish(publish("echo", "1234", 50051, Duration.ofSeconds(10)));

    assertThat(again.outcome()).isEqualTo(Registry.Outcome.REFRESHED);
    assertThat(again.revision()).isZero();
    assertThat(store.lastRevision()).isEqualTo(revision);
    assertThat(again.entry().expiresAt()).isEqualTo(T0.plusSeconds(18));
    clock.advance(Duration.ofSeconds(9)); // 17 s after the first publish: still live
    assertThat(registry.expire()).isZero();
    assertThat(registry.discover("echo")).isPresent();
  }

  @Test
  void publish_changedApis_updatedWithEvent() {
    registry.publish(publish("echo", null, 50051, null));
    Registry.Published p = registry.publish(publish("echo", null, 50052, null));

    assertThat(p.outcome()).isEqualTo(Registry.Outcome.UPDATED);
    assertThat(events())
        .extracting(Event::type)
        .containsExactly("service_registered", "service_updated");
    assertThat(registry.discover("echo").orElseThrow().apis().getFirst().port()).isEqualTo(50052);
  }

  @Test
  void publish_otherProcess_replacesTheEntry() throws Exception {
    registry.publish(publish("echo", "1234", 50051, null));
    clock.advance(Duration.ofSeconds(5));

    Registry.Published p = registry.publish(publish("echo", "5678", 50051, null));

    assertThat(p.outcome()).isEqualTo(Registry.Outcome.UPDATED);
    assertThat(registry.entries())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.process()).isEqualTo("5678");
              assertThat(e.expiresAt()).isEqualTo(T0.plusSeconds(35));
            });
    JsonNode d = data(events().getLast());
    assertThat(d.get("replacedProcess").asText()).isEqualTo("1234");
    assertThat(d.get("process").asText()).isEqualTo("5678");
  }

  @Test
  void unpublish_unknownModuleOrOtherProcess_removesNothing() {
    registry.publish(publish("echo", "1234", 50051, null));

    assertThat(registry.unpublish("nothing", Optional.empty())).isFalse();
    assertThat(registry.unpublish("echo", Optional.of("999"))).isFalse();

    assertThat(registry.discover("echo")).isPresent();
    assertThat(events()).hasSize(1);
  }

  @Test
  void unpublish_ownProcess_removesWithEvent() throws Exception {
    registry.publish(publish("echo", "1234", 50051, null));

    assertThat(registry.unpublish("echo", Optional.of("1234"))).isTrue();

    assertThat(registry.discover("echo")).isEmpty();
    Event e = events().getLast();
    assertThat(e.type()).isEqualTo(Event.SERVICE_REMOVED);
    assertThat(data(e).get("reason").asText()).isEqualTo("unpublished");
    assertThat(data(e).get("source").asText()).isEqualTo("published");
  }

  @Test
  void expire_leaseRunsOut_removedWithServiceRemovedEvent() throws Exception {
    registry.publish(publish("echo", null, 50051, Duration.ofSeconds(10)));
    registry.publish(publish("other", null, 50052, Duration.ofSeconds(60)));

    clock.advance(Duration.ofMillis(9_999));
    assertThat(registry.expire()).isZero();
    assertThat(registry.discover("echo")).isPresent();

    clock.advance(Duration.ofMillis(1));
    // not live from the instant it expires, whether the timer ran yet or not
    assertThat(registry.discover("echo")).isEmpty();
    assertThat(registry.expire()).isEqualTo(1);

    assertThat(store.registryEntries()).extracting(RegistryEntry::module).containsExactly("other");
    Event e = events().getLast();
    assertThat(e.type()).isEqualTo(Event.SERVICE_REMOVED);
    assertThat(e.key()).isEqualTo("Published/echo");
    JsonNode d = data(e);
    assertThat(d.get("source").asText()).isEqualTo("published");
    assertThat(d.get("reason").asText()).isEqualTo("expired");
  }

  @Test
  void publish_afterExpiryBeforeTheTimer_removedThenRegisteredAgain() {
    registry.publish(publish("echo", null, 50051, Duration.ofSeconds(10)));
    clock.advance(Duration.ofSeconds(11));

    Registry.Published p = registry.publish(publish("echo", null, 50051, Duration.ofSeconds(10)));

    assertThat(p.outcome()).isEqualTo(Registry.Outcome.REGISTERED);
    assertThat(events())
        .extracting(Event::type)
        .containsExactly("service_registered", "service_removed", "service_registered");
    assertThat(registry.expire()).isZero();
  }

  @Test
  void discover_whenConfigured_refreshesTheLease() {
    registry.close();
    registry = Registry.start(store, clock, Registry.Options.DEFAULTS.withDiscoverRefreshes(true));
    registry.publish(publish("echo", null, 50051, Duration.ofSeconds(10)));

    clock.advance(Duration.ofSeconds(8));
    assertThat(registry.discover("echo").orElseThrow().expiresAt()).isEqualTo(T0.plusSeconds(18));
    clock.advance(Duration.ofSeconds(8));

    assertThat(registry.expire()).isZero();
    assertThat(registry.discover("echo")).isPresent();
  }

  @Test
  void discover_byDefault_doesNotRefresh() {
    registry.publish(publish("echo", null, 50051, Duration.ofSeconds(10)));
    clock.advance(Duration.ofSeconds(8));
    registry.discover("echo");
    clock.advance(Duration.ofSeconds(3));

    assertThat(registry.expire()).isEqualTo(1);
  }

  @Test
  void restart_keepsLeasesWithTheirRemainingTime() {
    registry.publish(publish("echo", "1234", 50051, Duration.ofSeconds(60)));
    registry.publish(publish("short", null, 50052, Duration.ofSeconds(10)));
    close();

    clock.advance(Duration.ofSeconds(20)); // the controller was down for 20 s
    open();

    assertThat(registry.entries()).extracting(RegistryEntry::module).containsExactly("echo");
    assertThat(registry.discover("echo").orElseThrow().expiresAt()).isEqualTo(T0.plusSeconds(60));
    assertThat(events().getLast().type()).isEqualTo(Event.SERVICE_REMOVED); // "short", at start
    clock.advance(Duration.ofSeconds(39));
    assertThat(registry.expire()).isZero();
    clock.advance(Duration.ofSeconds(1));
    assertThat(registry.expire()).isEqualTo(1);
  }

  @Test
  void expire_manyAtOnce_removesAllInBatchesWithAnEventEach() {
    for (int i = 0; i < 600; i++) {
      registry.publish(publish("m" + i, null, 10_000 + i, Duration.ofSeconds(5)));
    }
    long before = store.lastRevision();
    clock.advance(Duration.ofSeconds(5));

    assertThat(registry.expire()).isEqualTo(600);

    assertThat(store.registryEntries()).isEmpty();
    List<Event> removed =
        new ArrayList<>(((EventsSince.Events) store.eventsSince(before)).events());
    assertThat(removed).hasSize(600).allMatch(e -> e.type().equals(Event.SERVICE_REMOVED));
  }

  @Test
  void publish_invalid_refusedWithOneLineAndNothingStored() {
    Registry.Publish badPort =
        new Registry.Publish(
            "echo",
            Optional.empty(),
            List.of(new RegistryEntry.Api("a", List.of(), "127.0.0.1", 70000, "grpc")),
            Optional.empty());
    Registry.Publish badAddress =
        new Registry.Publish(
            "echo",
            Optional.empty(),
            List.of(new RegistryEntry.Api("a", List.of(), "example.com", 1, "grpc")),
            Optional.empty());
    Registry.Publish badProtocol =
        new Registry.Publish(
            "echo",
            Optional.empty(),
            List.of(new RegistryEntry.Api("a", List.of(), "::1", 1, "smtp")),
            Optional.empty());

    assertThatThrownBy(() -> registry.publish(badPort)).hasMessageContaining("port 70000");
    assertThatThrownBy(() -> registry.publish(badAddress))
        .hasMessageContaining("not an IPv4 or IPv6 address");
    assertThatThrownBy(() -> registry.publish(badProtocol)).hasMessageContaining("tcp");
    assertThatThrownBy(() -> registry.publish(publish("bad module", null, 1, null)))
        .hasMessageContaining("module \"bad module\"");
    assertThatThrownBy(() -> registry.publish(publish("echo", null, 1, Duration.ofMillis(10))))
        .hasMessageContaining("ttl 10ms: expected 1s to 24h");
    assertThat(store.registryEntries()).isEmpty();
    assertThat(store.lastRevision()).isZero();
  }

  @Test
  void timer_realClock_removesExpiredLeaseOnItsOwn() {
    registry.close();
    registry = Registry.start(store, InstantSource.system(), Registry.Options.DEFAULTS);
    registry.publish(publish("echo", null, 50051, Duration.ofSeconds(1)));

    io.svcreg.Waits.atMost(Duration.ofSeconds(10)).until(() -> store.registryEntries().isEmpty());

    assertThat(events().getLast().type()).isEqualTo(Event.SERVICE_REMOVED);
  }
}

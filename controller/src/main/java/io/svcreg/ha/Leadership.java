package io.svcreg.ha;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.election.CampaignResponse;
import io.etcd.jetcd.election.LeaderKey;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.lease.LeaseTimeToLiveResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.support.CloseableClient;
import io.etcd.jetcd.watch.WatchResponse;
import io.grpc.stub.StreamObserver;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * This member's part in the election of the group's leader: campaigns on {@link #ELECTION} with an
 * etcd lease of the given TTL, kept alive, and tells a listener each time its {@link Role} changes.
 *
 * <p>The lease is lost when its keep-alive ends, when etcd says it is not found, or when the TTL
 * passes on the injected clock without a keep-alive answer: the member stops leading at once
 * ({@link Role.Electing}), then asks etcd whether the lease still lives. If it does (the answers
 * were only late) it campaigns again on it, and wins back the same key and epoch; otherwise it
 * grants a new lease and campaigns on that. Closing revokes the lease (resigns).
 *
 * <p>All state lives on one thread of its own; jetcd's callbacks only hand events to it, never
 * block, and the listener is called in order on another thread of its own.
 */
public final class Leadership implements AutoCloseable {

  /** The election's name: candidates' keys are {@code /svcreg/leader/<lease id in hex>}. */
  public static final String ELECTION = "/svcreg/leader";

  /** The shortest lease TTL etcd grants. */
  public static final Duration MIN_TTL = Duration.ofSeconds(2);

  private static final Logger LOG = System.getLogger(Leadership.class.getName());
  private static final Duration RESIGN_TIMEOUT = Duration.ofSeconds(5);

  private final Client client;
  private final String member;
  private final Duration ttl;
  private final InstantSource clock;
  private final Consumer<Role> listener;
  private final ScheduledExecutorService driver;
  private final ExecutorService notifier;
  private final Duration retryDelay;

  // confined to the driver thread
  private int cycle;
  private long lease;
  private Instant deadline = Instant.MAX;
  private CloseableClient keepAlive;
  private Watch.Watcher watcher;
  private int watches;
  private long surveyed;
  private boolean closed;

  private volatile Role role = new Role.Electing();

  private Leadership(
      Client client,
      String member,
      Duration ttl,
      InstantSource clock,
      ThreadFactory threads,
      Consumer<Role> listener) {
    this.client = client;
    this.member = member;
    this.ttl = ttl;
    this.clock = clock;
    this.listener = listener;
    this.driver = Executors.newSingleThreadScheduledExecutor(threads);
    this.notifier = Executors.newSingleThreadExecutor(threads);
    this.retryDelay = clamp(ttl.dividedBy(10), Duration.ofMillis(100), Duration.ofSeconds(1));
  }

  /**
   * Starts campaigning for {@code member} (the address others reach it at) with a lease of {@code
   * ttl}, on the system clock and daemon threads of its own; {@code listener} gets every change of
   * role.
   */
  public static Leadership start(
      Client client, String member, Duration ttl, Consumer<Role> listener) {
    return start(
        client,
        member,
        ttl,
        InstantSource.system(),
        Thread.ofPlatform().name("svcreg-leadership-", 0).daemon().factory(),
        listener);
  }

  /** Starts campaigning, with time read from {@code clock} and threads made by {@code threads}. */
  public static Leadership start(
      Client client,
      String member,
      Duration ttl,
      InstantSource clock,
      ThreadFactory threads,
      Consumer<Role> listener) {
    checkTtl(ttl);
    Leadership l = new Leadership(client, member, ttl, clock, threads, listener);
    Duration every = clamp(ttl.dividedBy(20), Duration.ofMillis(50), Duration.ofMillis(250));
    l.driver.scheduleWithFixedDelay(
        l::checkDeadline, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    l.driver.execute(l::survey);
    l.driver.execute(l::grant);
    return l;
  }

  /** Rejects a TTL etcd would not grant as asked: below {@link #MIN_TTL} or not whole seconds. */
  static void checkTtl(Duration ttl) {
    if (ttl.compareTo(MIN_TTL) < 0) {
      throw new IllegalArgumentException(
          "the leadership lease TTL is "
              + ttl.toMillis()
              + " ms, below etcd's minimum of "
              + MIN_TTL.toSeconds()
              + " s: give at least "
              + MIN_TTL.toSeconds()
              + " s (5 times etcd's election timeout or more)");
    }
    if (ttl.toNanosPart() != 0) {
      throw new IllegalArgumentException(
          "the leadership lease TTL is "
              + ttl.toMillis()
              + " ms: etcd grants whole seconds, give e.g. "
              + (ttl.toSeconds() + 1)
              + " s");
    }
  }

  /** This member's role as of now. */
  public Role role() {
    return role;
  }

  /** The fence of this member's leadership, while it leads. */
  public Optional<Fence> fence() {
    return role instanceof Role.Leading leading ? Optional.of(leading.fence()) : Optional.empty();
  }

  /** The member address this leadership campaigns with. */
  public String member() {
    return member;
  }

  // ---- lease

  /** Asks etcd for a new lease of the TTL. */
  private void grant() {
    if (closed) {
      return;
    }
    int c = cycle;
    Instant asked = clock.instant();
    client
        .getLeaseClient()
        .grant(ttl.toSeconds())
        .whenCompleteAsync((r, t) -> granted(c, asked, r, t), driver);
  }

  /** A lease was granted (or not): hold it and campaign on it, or ask again shortly. */
  private void granted(int c, Instant asked, LeaseGrantResponse r, Throwable t) {
    if (closed || c != cycle) {
      if (r != null) {
        revokeQuietly(r.getID());
      }
      return;
    }
    if (t != null) {
      LOG.log(Level.DEBUG, "leadership {0}: no lease granted: {1}", member, Fence.reason(t));
      driver.schedule(this::grant, retryDelay.toMillis(), TimeUnit.MILLISECONDS);
      return;
    }
    hold(r.getID(), asked.plusSeconds(r.getTTL()));
    campaign(c);
  }

  /** Keeps lease {@code id} alive from now on; it is known to live until {@code until}. */
  private void hold(long id, Instant until) {
    lease = id;
    deadline = until;
    int c = cycle;
    keepAlive = client.getLeaseClient().keepAlive(id, new KeepAliveObserver(c));
  }

  /** jetcd's keep-alive callbacks, handed to the driver as they come; never blocks. */
  private final class KeepAliveObserver implements StreamObserver<LeaseKeepAliveResponse> {
    private final int cycle;

    KeepAliveObserver(int cycle) {
      this.cycle = cycle;
    }

    @Override
    public void onNext(LeaseKeepAliveResponse r) {
      Instant received = clock.instant();
      long seconds = r.getTTL();
      run(() -> renewed(cycle, received, seconds));
    }

    @Override
    public void onError(Throwable t) {
      run(() -> keepAliveFailed(cycle, t));
    }

    @Override
    public void onCompleted() {
      run(() -> lose(cycle, "its keep-alive ended"));
    }
  }

  /** A keep-alive answer received at {@code received}: the lease lives {@code seconds} more. */
  private void renewed(int c, Instant received, long seconds) {
    if (c != cycle || seconds <= 0) {
      return;
    }
    Instant until = received.plusSeconds(seconds);
    if (until.isAfter(deadline)) {
      deadline = until;
    }
  }

  /** A keep-alive error: the lease is lost only when etcd said it does not know it. */
  private void keepAliveFailed(int c, Throwable t) {
    if (t instanceof EtcdException e && e.getErrorCode() == ErrorCode.NOT_FOUND) {
      lose(c, "etcd no longer knows it");
    } else {
      // jetcd opens the stream again by itself; the deadline tells whether that was in time
      LOG.log(Level.DEBUG, "leadership {0}: keep-alive failed: {1}", member, Fence.reason(t));
    }
  }

  /** Loses the lease once the injected clock passes its deadline. */
  private void checkDeadline() {
    if (lease != 0 && !clock.instant().isBefore(deadline)) {
      lose(cycle, "its TTL passed without a keep-alive answer");
    }
  }

  /**
   * The lease of cycle {@code c} is lost: stop leading now, then campaign again on the same lease
   * if it still lives (same key and epoch), else on a new one.
   */
  private void lose(int c, String why) {
    if (closed || c != cycle || lease == 0) {
      return;
    }
    long old = lease;
    LOG.log(
        role instanceof Role.Leading ? Level.WARNING : Level.INFO,
        "leadership {0}: lease {1} lost ({2}){3}",
        member,
        Long.toHexString(old),
        why,
        role instanceof Role.Leading ? ": no longer leading" : "");
    cycle++;
    lease = 0;
    deadline = Instant.MAX;
    closeKeepAlive();
    publish(new Role.Electing());
    survey();
    int next = cycle;
    Instant asked = clock.instant();
    client
        .getLeaseClient()
        .timeToLive(old, LeaseOption.DEFAULT)
        .whenCompleteAsync((r, t) -> checkedLease(next, old, asked, r, t), driver);
  }

  /** etcd's answer about a lost lease: campaign on it again while it lives, else on a new one. */
  private void checkedLease(
      int c, long old, Instant asked, LeaseTimeToLiveResponse r, Throwable t) {
    if (closed || c != cycle) {
      return;
    }
    if (t == null && r.getTTL() > 0) {
      LOG.log(Level.INFO, "leadership {0}: lease {1} still lives", member, Long.toHexString(old));
      hold(old, asked.plusSeconds(r.getTTL()));
      campaign(c);
      return;
    }
    if (t != null) {
      revokeQuietly(old);
    }
    grant();
  }

  /** Revokes an abandoned lease, if etcd can be reached; it expires otherwise. */
  private void revokeQuietly(long id) {
    client
        .getLeaseClient()
        .revoke(id)
        .whenComplete(
            (r, t) -> {
              if (t != null) {
                LOG.log(
                    Level.DEBUG,
                    "leadership {0}: lease {1} not revoked: {2}",
                    member,
                    Long.toHexString(id),
                    Fence.reason(t));
              }
            });
  }

  /** Stops keeping the current lease alive. */
  private void closeKeepAlive() {
    if (keepAlive != null) {
      keepAlive.close();
      keepAlive = null;
    }
  }

  // ---- campaign

  /** Campaigns on the current lease; the answer comes when this member leads. */
  private void campaign(int c) {
    if (closed || c != cycle || lease == 0) {
      return;
    }
    client
        .getElectionClient()
        .campaign(bytes(ELECTION), lease, bytes(member))
        .whenCompleteAsync((r, t) -> campaigned(c, r, t), driver);
  }

  /** The campaign of cycle {@code c} ended: this member leads, or it campaigns again shortly. */
  private void campaigned(int c, CampaignResponse r, Throwable t) {
    if (closed || c != cycle) {
      return;
    }
    if (t != null) {
      // e.g. the member the campaign waited on died: wait again (the key is kept)
      LOG.log(Level.DEBUG, "leadership {0}: campaign failed: {1}", member, Fence.reason(t));
      driver.schedule(() -> campaign(c), retryDelay.toMillis(), TimeUnit.MILLISECONDS);
      return;
    }
    if (!clock.instant().isBefore(deadline)) {
      lose(c, "its TTL passed without a keep-alive answer");
      return;
    }
    LeaderKey key = r.getLeader();
    surveyed = Math.max(surveyed, r.getHeader().getRevision());
    Fence fence = new Fence(key.getKey().toString(UTF_8), key.getRevision());
    LOG.log(Level.INFO, "leadership {0}: leading, epoch {1}", member, fence.epoch());
    publish(new Role.Leading(fence));
  }

  // ---- who leads: the candidates' keys, read again at each change

  /** Reads the candidates' keys, oldest first, and watches them from there. */
  private void survey() {
    if (closed) {
      return;
    }
    GetOption candidates =
        GetOption.builder()
            .isPrefix(true)
            .withSortField(GetOption.SortTarget.CREATE)
            .withSortOrder(GetOption.SortOrder.ASCEND)
            .build();
    client
        .getKVClient()
        .get(bytes(ELECTION + "/"), candidates)
        .whenCompleteAsync(this::surveyedCandidates, driver);
  }

  /**
   * Decides the role from the candidates' keys (a leader only checks that its own key is there).
   */
  private void surveyedCandidates(GetResponse r, Throwable t) {
    if (closed) {
      return;
    }
    if (t != null) {
      LOG.log(Level.DEBUG, "leadership {0}: candidates not read: {1}", member, Fence.reason(t));
      if (watcher == null) {
        driver.schedule(this::survey, retryDelay.toMillis(), TimeUnit.MILLISECONDS);
      }
      return;
    }
    long revision = r.getHeader().getRevision();
    if (watcher == null) {
      watch(revision + 1);
    }
    if (revision < surveyed) {
      return;
    }
    surveyed = revision;
    List<KeyValue> kvs = r.getKvs();
    if (role instanceof Role.Leading leading) {
      Fence f = leading.fence();
      boolean held =
          kvs.stream()
              .anyMatch(
                  kv ->
                      kv.getKey().toString(UTF_8).equals(f.key())
                          && kv.getCreateRevision() == f.epoch());
      if (!held) {
        lose(cycle, "its leadership key was deleted");
      }
      return;
    }
    if (kvs.isEmpty()) {
      publish(new Role.Electing());
      return;
    }
    KeyValue first = kvs.get(0);
    if ((lease != 0 && first.getLease() == lease)
        || first.getValue().toString(UTF_8).equals(member)) {
      // this member's own key: its campaign is about to end, or a lost lease's key expires
      return;
    }
    publish(new Role.Following(first.getValue().toString(UTF_8), first.getCreateRevision()));
  }

  /** Watches the candidates' keys from revision {@code from} on. */
  private void watch(long from) {
    WatchOption option = WatchOption.builder().isPrefix(true).withRevision(from).build();
    int w = ++watches;
    watcher =
        client
            .getWatchClient()
            .watch(
                bytes(ELECTION + "/"),
                option,
                Watch.listener(this::changed, t -> run(() -> watchFailed(w, t))));
  }

  /** A change of the candidates' keys (on a jetcd thread): read them again on the driver. */
  private void changed(WatchResponse r) {
    if (!r.getEvents().isEmpty()) {
      run(this::survey);
    }
  }

  /** The watch ended with an error (e.g. its revision was compacted): read and watch anew. */
  private void watchFailed(int w, Throwable t) {
    if (closed || w != watches) {
      return;
    }
    LOG.log(Level.DEBUG, "leadership {0}: watch failed: {1}", member, Fence.reason(t));
    if (watcher != null) {
      watcher.close();
      watcher = null;
    }
    driver.schedule(this::survey, retryDelay.toMillis(), TimeUnit.MILLISECONDS);
  }

  // ---- plumbing

  /** Makes {@code next} the role and tells the listener, if it changed. */
  private void publish(Role next) {
    if (next.equals(role)) {
      return;
    }
    role = next;
    notifier.execute(() -> listener.accept(next));
  }

  /** Hands {@code task} to the driver; dropped once closed. */
  private void run(Runnable task) {
    Drivers.run(driver, task);
  }

  /**
   * Resigns: stops campaigning, revokes the lease (so the leadership key goes and a standby takes
   * over at once) and waits for etcd's answer, a few seconds at most. The client stays open.
   */
  @Override
  public void close() {
    CompletableFuture<Void> resigned = new CompletableFuture<>();
    try {
      driver.execute(() -> resign(resigned));
    } catch (RejectedExecutionException e) {
      return; // closed before
    }
    try {
      resigned.get(RESIGN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      LOG.log(Level.WARNING, "leadership {0}: lease not revoked: {1}", member, Fence.reason(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    driver.shutdownNow();
    notifier.shutdown();
  }

  /** Stops everything and revokes the lease; completes {@code resigned} with etcd's answer. */
  private void resign(CompletableFuture<Void> resigned) {
    closed = true;
    cycle++;
    if (watcher != null) {
      watcher.close();
      watcher = null;
    }
    closeKeepAlive();
    publish(new Role.Electing());
    long old = lease;
    lease = 0;
    if (old == 0) {
      resigned.complete(null);
      return;
    }
    LOG.log(Level.INFO, "leadership {0}: resigning (lease {1})", member, Long.toHexString(old));
    client
        .getLeaseClient()
        .revoke(old)
        .whenComplete(
            (r, t) -> {
              if (t != null) {
                resigned.completeExceptionally(t);
              } else {
                resigned.complete(null);
              }
            });
  }

  /** {@code s} as UTF-8 bytes. */
  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, UTF_8);
  }

  /** {@code d}, or the bound it falls outside of. */
  private static Duration clamp(Duration d, Duration min, Duration max) {
    return d.compareTo(min) < 0 ? min : d.compareTo(max) > 0 ? max : d;
  }
}

package io.svcreg.ha;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.maintenance.StatusResponse;
import io.etcd.jetcd.options.GetOption;
import io.svcreg.core.SvcregException;
import io.svcreg.store.RegistryEntry;
import io.svcreg.store.ReplicationRefused;
import io.svcreg.store.Replicator;
import io.svcreg.store.Store;
import io.svcreg.store.StoreFenced;
import io.svcreg.store.Transaction;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * This controller as one member of a high-availability group sharing an etcd cluster ({@code serve
 * --etcd}). While another member leads, the store follows the replicated log ({@link EtcdFollower})
 * and refuses commits ({@link Store#follow}, answered {@code not_leader} with the leader's
 * address); the member campaigns all along ({@link Leadership}). Once elected it catches up with
 * the log, makes the store replicate every commit through etcd, fenced by its epoch, and tells its
 * {@link Part} to lead. When it stops leading (its lease lost, a fenced write refused) it stops
 * writing at once and tells its part to step down; a member never leads twice: it is restarted to
 * stand by again, as Kubernetes' controller managers are.
 */
public final class HaMember implements AutoCloseable {

  private static final Logger LOG = System.getLogger(HaMember.class.getName());

  /** What the member's controller does when it comes to lead, and when it must stop. */
  public interface Part {

    /** This member leads from now on, at {@code epoch}: reconcile and deploy. */
    void lead(long epoch);

    /** This member no longer leads ({@code why}): stop acting at once. Called at most once. */
    void stepDown(String why);

    /**
     * The store takes commits again after a write etcd did not confirm (it caught up with the log):
     * what was refused meanwhile can be done now.
     */
    void resumed();

    /**
     * etcd expired the lease of registry entry {@code entry}: remove it if the store still holds
     * exactly it; whether it did.
     */
    boolean registryEntryExpired(RegistryEntry entry);
  }

  private final EtcdOptions options;
  private final Client client;
  private final Store store;
  private final String advertise;
  private final Part part;
  private final AtomicBoolean deposed = new AtomicBoolean();
  private final AtomicBoolean recovering = new AtomicBoolean();
  private volatile boolean closed;
  private volatile EtcdFollower follower;
  private volatile Leadership leadership;
  private volatile EtcdRegistryExpiry expiry;
  private volatile long epoch;
  private volatile boolean led;

  private HaMember(EtcdOptions options, Client client, Store store, String advertise, Part part) {
    this.options = options;
    this.client = client;
    this.store = store;
    this.advertise = advertise;
    this.part = part;
  }

  /**
   * Joins the group: checks that {@code store} is new or a replica of this etcd's log, makes it
   * follow the log, and campaigns for {@code advertise} (the API address other members and clients
   * reach this one at). Fails with a clear message, leaving nothing running.
   */
  public static HaMember join(EtcdOptions options, Store store, String advertise, Part part) {
    Client client = options.connect();
    HaMember m = new HaMember(options, client, store, advertise, part);
    try {
      m.checkStore();
      store.follow(m::leader);
      m.follower = EtcdFollower.start(client, store, options.timeout());
      m.leadership = Leadership.start(client, advertise, options.leaderTtl(), m::onRole);
      return m;
    } catch (RuntimeException | Error e) {
      m.close();
      throw e;
    }
  }

  /**
   * Reads etcd once (a clear error when it cannot be reached or refuses this member's credentials),
   * and refuses a store that applied revisions this etcd's log never had: another controller's (a
   * single controller's store, or a replica of another etcd), whose revisions would clash.
   */
  private void checkStore() {
    LogKeys keys = new LogKeys(LogKeys.DEFAULT_PREFIX);
    GetResponse log;
    try {
      log = await(client.getKVClient().get(keys.log()), "read the replicated log");
    } catch (SvcregException e) {
      throw new SvcregException(
          e.getMessage()
              + "; check --etcd (the client URLs), --etcd-ca, --etcd-cert and --etcd-key (https),"
              + " and --etcd-user and --etcd-password-file (etcd's authentication)");
    }
    long applied = store.lastRevision();
    if (applied == 0) {
      return;
    }
    long head = log.getKvs().isEmpty() ? 0 : log.getKvs().getFirst().getModRevision();
    if (head == 0 || applied > head) {
      throw new SvcregException(
          "store "
              + store.directory()
              + " is at revision "
              + applied
              + (head == 0
                  ? " but etcd holds no svcreg state yet"
                  : " but etcd's svcreg log only reaches revision " + head)
              + ": it is not a replica of this group (a single controller's store, or another"
              + " etcd's). A member starts from a new data directory (--data) or from its own"
              + " earlier one; move this one aside.");
    }
  }

  /** The API address of the member that leads now, as this member knows it. */
  public Optional<String> leader() {
    Leadership l = leadership;
    if (l == null) {
      return Optional.empty();
    }
    return switch (l.role()) {
      case Role.Leading x -> Optional.of(advertise);
      case Role.Following f -> Optional.of(f.leader());
      case Role.Electing x -> Optional.empty();
    };
  }

  /**
   * The epoch this member leads or led at (0 before it led; a standby gives nodes no command): its
   * node commands carry it, and a node that has seen a higher one refuses them.
   */
  public long epoch() {
    return epoch;
  }

  /** Whether this member leads now. */
  public boolean leading() {
    return led && !deposed.get();
  }

  /** This member's address. */
  public String advertise() {
    return advertise;
  }

  /** Each change of this member's role, in order, on the leadership's notifier thread. */
  private void onRole(Role role) {
    if (role instanceof Role.Leading leading && !led && !deposed.get()) {
      lead(leading);
    } else if (led && !(role instanceof Role.Leading)) {
      stepDown("its leadership lease was lost (no keep-alive answer within the TTL, or revoked)");
    }
  }

  /** Elected: catch up with the log, then write through etcd, fenced by this epoch. */
  private void lead(Role.Leading leading) {
    LOG.log(Level.INFO, "HA: {0} was elected leader at epoch {1}", advertise, leading.epoch());
    try {
      follower.catchUp(options.timeout());
    } catch (SvcregException e) {
      LOG.log(Level.ERROR, "HA: cannot lead: " + e.getMessage());
      led = true;
      stepDown("it could not catch up with the replicated log: " + e.getMessage());
      return;
    }
    follower.close();
    epoch = leading.epoch();
    store.replicateTo(fenced());
    led = true;
    expiry =
        EtcdRegistryExpiry.start(
            client,
            store,
            new LogKeys(LogKeys.DEFAULT_PREFIX),
            options.timeout(),
            part::registryEntryExpired);
    part.lead(epoch);
  }

  /** Stops writing at once (the store follows again, refusing commits) and tells the part. */
  private void stepDown(String why) {
    if (!deposed.compareAndSet(false, true)) {
      return;
    }
    store.follow(this::leader);
    EtcdRegistryExpiry e = expiry;
    if (e != null) {
      e.close();
    }
    LOG.log(Level.WARNING, "HA: {0} stopped leading (epoch {1}): {2}", advertise, epoch, why);
    part.stepDown(why);
  }

  /** A replicator of the store's commits to etcd, fenced by this member's leadership. */
  private Replicator fenced() {
    return new Fenced(EtcdReplicator.of(client, leadership::fence, store, options.timeout()));
  }

  /**
   * After a write whose outcome etcd did not tell (e.g. its raft leader died while it was asked),
   * the store takes no commits: this catches it up with the log (the write is there or it is not),
   * then lets it write again, on a thread of its own, retrying with a backoff while etcd does not
   * answer.
   */
  private void recoverSoon() {
    if (!recovering.compareAndSet(false, true)) {
      return;
    }
    Thread.ofPlatform().daemon().name("svcreg-catch-up").start(this::recover);
  }

  private void recover() {
    try {
      long delay = 200;
      while (!deposed.get() && !closed) {
        EtcdFollower f = null;
        try {
          f = EtcdFollower.start(client, store, options.timeout());
          long head = f.catchUp(options.timeout());
          store.replicateTo(fenced());
          LOG.log(
              Level.INFO,
              "HA: caught up with the replicated log at revision {0} after a write etcd did not"
                  + " confirm; writing again",
              head);
          part.resumed();
          return;
        } catch (RuntimeException e) {
          LOG.log(
              Level.WARNING,
              "HA: cannot catch up with the replicated log yet ({0}); retrying in {1} ms",
              e.getMessage(),
              delay);
        } finally {
          if (f != null) {
            f.close();
          }
        }
        try {
          Thread.sleep(delay);
        } catch (InterruptedException e) {
          return;
        }
        delay = Math.min(delay * 2, 5_000);
      }
    } finally {
      recovering.set(false);
    }
  }

  /** The etcd replicator, stepping this member down as soon as etcd says it no longer leads. */
  private final class Fenced implements Replicator {
    private final Replicator etcd;

    Fenced(Replicator etcd) {
      this.etcd = etcd;
    }

    @Override
    public long replicate(List<Transaction> batch) {
      try {
        return etcd.replicate(batch);
      } catch (StoreFenced e) {
        // on a new thread: stepping down takes the commit lock this thread holds
        Thread.ofPlatform()
            .name("svcreg-step-down")
            .start(() -> stepDown("a write was refused: " + e.getMessage()));
        throw e;
      } catch (ReplicationRefused e) {
        throw e; // nothing written: the store goes on
      } catch (RuntimeException e) {
        // in doubt: the store refuses commits until it is given a replicator again
        recoverSoon();
        throw e;
      }
    }
  }

  /** The group as this member sees it now: members, leader, epoch and each etcd member's health. */
  public Cluster cluster() {
    List<Cluster.Member> members = new ArrayList<>();
    try {
      GetResponse r =
          await(
              client
                  .getKVClient()
                  .get(
                      ByteSequence.from(Leadership.ELECTION + "/", UTF_8),
                      GetOption.builder().isPrefix(true).build()),
              "list the members");
      List<KeyValue> kvs = new ArrayList<>(r.getKvs());
      kvs.sort(Comparator.comparingLong(KeyValue::getCreateRevision));
      for (int i = 0; i < kvs.size(); i++) {
        KeyValue kv = kvs.get(i);
        members.add(
            new Cluster.Member(kv.getValue().toString(UTF_8), i == 0, kv.getCreateRevision()));
      }
    } catch (SvcregException e) {
      LOG.log(Level.DEBUG, "HA: cannot list the members: " + e.getMessage());
    }
    List<Cluster.Etcd> etcd = new ArrayList<>();
    for (URI u : options.endpoints()) {
      try {
        StatusResponse s =
            await(client.getMaintenanceClient().statusMember(u.toString()), "ask " + u);
        etcd.add(
            new Cluster.Etcd(
                u.toString(),
                true,
                s.getLeader() == s.getHeader().getMemberId(),
                s.getHeader().getRevision(),
                s.getDbSize(),
                ""));
      } catch (SvcregException e) {
        etcd.add(new Cluster.Etcd(u.toString(), false, false, 0, 0, e.getMessage()));
      }
    }
    Role role = leadership == null ? new Role.Electing() : leadership.role();
    String roleName =
        deposed.get()
            ? "deposed"
            : switch (role) {
              case Role.Leading x -> "leader";
              case Role.Following x -> "standby";
              case Role.Electing x -> "electing";
            };
    long leaderEpoch =
        switch (role) {
          case Role.Leading l -> l.epoch();
          case Role.Following f -> f.epoch();
          case Role.Electing x -> 0;
        };
    return new Cluster(advertise, roleName, leader(), leaderEpoch, members, etcd);
  }

  private <T> T await(CompletableFuture<T> f, String what) {
    try {
      return f.get(options.timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      f.cancel(false);
      throw new SvcregException(
          "etcd: cannot " + what + ": " + Fence.reason(e) + " (" + options.endpoints() + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SvcregException("interrupted while waiting for etcd to " + what);
    }
  }

  /**
   * Leaves the group: resigns (revokes the leadership lease, so a standby takes over at once),
   * stops following and closes the etcd client. The store stays open.
   */
  @Override
  public void close() {
    closed = true;
    if (expiry != null) {
      expiry.close();
    }
    if (leadership != null) {
      leadership.close();
    }
    if (follower != null) {
      follower.close();
    }
    client.close();
  }

  /** A wait for etcd of at most this member's request timeout, for tests and tools. */
  Duration timeout() {
    return options.timeout();
  }
}

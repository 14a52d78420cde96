package io.svcreg.ha;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.svcreg.Waits;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Leader election and fenced writes against a real three-member etcd cluster, each candidate with a
 * jetcd client of its own, as separate controllers would have.
 */
class LeadershipIT extends EtcdTestBase {

  private static final Duration TTL = Duration.ofSeconds(5);

  /** A member campaigning with a client of its own; every role it was told of, in order. */
  private record Candidate(String member, Client client, Leadership leadership, List<Role> roles) {

    Role role() {
      return leadership.role();
    }

    boolean leads() {
      return role() instanceof Role.Leading;
    }

    Fence fence() {
      return leadership.fence().orElseThrow();
    }

    FencedWrite put(Fence fence, String key, String value) throws Exception {
      return fence
          .write(client.getKVClient(), Op.put(bytes(key), bytes(value), PutOption.DEFAULT))
          .get(30, TimeUnit.SECONDS);
    }
  }

  private Candidate candidate(String member) {
    return candidate(member, InstantSource.system());
  }

  private Candidate candidate(String member, InstantSource clock) {
    return candidate(member, clock, cluster.client());
  }

  /** A candidate whose client (closed after the test) reaches etcd through {@code client}. */
  private Candidate candidate(String member, InstantSource clock, Client client) {
    closing.add(client);
    List<Role> roles = new CopyOnWriteArrayList<>();
    Leadership leadership =
        Leadership.start(
            client,
            member,
            TTL,
            clock,
            Thread.ofPlatform().name("leadership-" + member + "-", 0).daemon().factory(),
            roles::add);
    closing.add(leadership);
    return new Candidate(member, client, leadership, roles);
  }

  /** Two candidates once one leads and the other follows it. */
  private record Pair(Candidate leader, Candidate standby) {}

  /** Starts candidates {@code a} and {@code b} and waits until one leads and the other follows. */
  private Pair elect(String a, String b) {
    Candidate ca = candidate(a);
    Candidate cb = candidate(b);
    Waits.atMost(Duration.ofSeconds(10)).until(() -> ca.leads() || cb.leads());
    Pair pair = ca.leads() ? new Pair(ca, cb) : new Pair(cb, ca);
    awaitFollowing(pair.standby());
    return pair;
  }

  private static void awaitFollowing(Candidate c) {
    Waits.atMost(Duration.ofSeconds(20)).until(() -> c.role() instanceof Role.Following);
  }

  @Test
  void leadership_twoCandidates_oneLeadsTheOtherFollowsItsAddress() {
    Pair pair = elect("http://10.0.0.1:7070", "http://10.0.0.2:7070");
    Candidate leader = pair.leader();
    Candidate follower = pair.standby();

    long epoch = leader.fence().epoch();
    assertThat(leader.fence().key()).startsWith(Leadership.ELECTION + "/");
    Waits.atMost(Duration.ofSeconds(5))
        .until(follower::role, r -> r.equals(new Role.Following(leader.member(), epoch)));
    assertThat(leader.roles()).containsExactly(new Role.Leading(leader.fence()));
    assertThat(follower.roles()).doesNotHaveAnyElementsOfTypes(Role.Leading.class);
  }

  @Test
  void leadership_leaderResigns_standbyLeadsWithinASecond() {
    Pair pair = elect("a", "b");
    Candidate leader = pair.leader();
    Candidate standby = pair.standby();
    long epoch = leader.fence().epoch();

    long start = System.nanoTime();
    leader.leadership().close();
    Waits.atMost(Duration.ofSeconds(1)).until(standby::leads);
    System.out.printf("standby led %d ms after close%n", (System.nanoTime() - start) / 1_000_000);

    assertThat(leader.role()).isEqualTo(new Role.Electing());
    assertThat(standby.fence().epoch()).isGreaterThan(epoch);
  }

  @Test
  void leadership_etcdMembersTheStandbyWaitsOnKilled_standbyStillTakesOver() {
    Candidate leader = candidate("a");
    Waits.atMost(Duration.ofSeconds(10)).until(leader::leads);
    int x = cluster.leader();
    int y = (x + 1) % cluster.size();
    Client twoMembers =
        Client.builder().endpoints(cluster.clientUrl(x), cluster.clientUrl(y)).build();
    Candidate standby = candidate("b", InstantSource.system(), twoMembers);
    awaitFollowing(standby);

    // the standby's campaign waits in a call to x or y: either way one of them dies under it
    cluster.kill(x);
    cluster.restart(x);
    cluster.kill(y);
    cluster.restart(y);
    awaitFollowing(standby);
    // the kills did not cost the standby its campaign (once the leader resigns it may see no
    // leader for a moment before it leads: that is not what this checks)
    assertThat(standby.roles()).doesNotHaveAnyElementsOfTypes(Role.Electing.class);
    leader.leadership().close();

    Waits.atMost(Duration.ofSeconds(10)).until(standby::leads);
  }

  @Test
  void leadership_leaseRevokedBehindItsBack_deposedLeaderWriteFailsNewLeaderWriteSucceeds()
      throws Exception {
    Pair pair = elect("a", "b");
    Candidate deposed = pair.leader();
    Candidate next = pair.standby();
    Fence old = deposed.fence();
    assertThat(deposed.put(old, "/svcreg/test/x", "1")).isInstanceOf(FencedWrite.Written.class);

    try (Client other = cluster.client()) {
      long lease = other.getKVClient().get(bytes(old.key())).get().getKvs().get(0).getLease();
      other.getLeaseClient().revoke(lease).get(10, TimeUnit.SECONDS);
    }

    Waits.atMost(Duration.ofSeconds(5)).until(() -> !deposed.leads());
    assertThat(deposed.put(old, "/svcreg/test/x", "2"))
        .isEqualTo(new FencedWrite.Deposed(old.epoch()));
    Waits.atMost(Duration.ofSeconds(5)).until(next::leads);
    Fence fence = next.fence();
    assertThat(fence.epoch()).isGreaterThan(old.epoch());
    assertThat(next.put(fence, "/svcreg/test/x", "3")).isInstanceOf(FencedWrite.Written.class);
    // the deposed member campaigns again, on a new lease, and follows
    Waits.atMost(Duration.ofSeconds(5))
        .until(deposed::role, r -> r.equals(new Role.Following(next.member(), fence.epoch())));
    assertThat(value(next.client(), "/svcreg/test/x")).isEqualTo("3");
  }

  @Test
  void fence_conditionOfTheWriteFails_conflictNotDeposed() throws Exception {
    Candidate a = candidate("a");
    Waits.atMost(Duration.ofSeconds(10)).until(a::leads);
    Fence fence = a.fence();
    a.put(fence, "/svcreg/test/cas", "1");
    long mod =
        a.client()
            .getKVClient()
            .get(bytes("/svcreg/test/cas"))
            .get()
            .getKvs()
            .get(0)
            .getModRevision();
    Cmp unchanged = new Cmp(bytes("/svcreg/test/cas"), Cmp.Op.EQUAL, CmpTarget.modRevision(mod));
    List<Op> put2 = List.of(Op.put(bytes("/svcreg/test/cas"), bytes("2"), PutOption.DEFAULT));
    List<Op> put3 = List.of(Op.put(bytes("/svcreg/test/cas"), bytes("3"), PutOption.DEFAULT));

    FencedWrite first =
        fence.write(a.client().getKVClient(), List.of(unchanged), put2).get(10, TimeUnit.SECONDS);
    FencedWrite second =
        fence.write(a.client().getKVClient(), List.of(unchanged), put3).get(10, TimeUnit.SECONDS);

    assertThat(first).isInstanceOf(FencedWrite.Written.class);
    assertThat(second).isInstanceOf(FencedWrite.Conflict.class);
    assertThat(value(a.client(), "/svcreg/test/cas")).isEqualTo("2");
  }

  @Test
  void leadership_noKeepAliveAnswerWithinTtl_stopsLeadingAndWinsBackTheSameEpoch() {
    AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    Candidate a = candidate("a", now::get);
    Waits.atMost(Duration.ofSeconds(10)).until(a::leads);
    Fence fence = a.fence();

    // time passes on the leader's clock, not for etcd: as if no keep-alive answer came in time
    now.set(now.get().plus(TTL).plusSeconds(1));

    Waits.atMost(Duration.ofSeconds(5)).until(() -> a.roles().size() >= 2);
    assertThat(a.roles().get(1)).isEqualTo(new Role.Electing());
    // the lease still lives in etcd, so the member campaigns again on it: same key, same epoch
    Waits.atMost(Duration.ofSeconds(5)).until(a::leads);
    assertThat(a.fence()).isEqualTo(fence);
  }

  @Test
  void leadership_etcdRaftLeaderKilled_sameLeaderSameEpochAndFencedWritesResume() throws Exception {
    Pair pair = elect("a", "b");
    Candidate leader = pair.leader();
    Candidate standby = pair.standby();
    Fence fence = leader.fence();
    int leaderRoles = leader.roles().size();
    int standbyRoles = standby.roles().size();

    int raftLeader = cluster.leader();
    long killed = System.nanoTime();
    cluster.kill(raftLeader);

    // fenced writes go on past twice the TTL: none finds the fence broken, the last one commits
    List<FencedWrite> writes = new CopyOnWriteArrayList<>();
    Waits.atMost(Duration.ofSeconds(40))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              FencedWrite w = leader.put(fence, "/svcreg/test/w", Integer.toString(writes.size()));
              writes.add(w);
              assertThat(w).isNotInstanceOf(FencedWrite.Deposed.class);
              return w instanceof FencedWrite.Written
                  && System.nanoTime() - killed > 2 * TTL.toNanos();
            });
    long unreachable = writes.stream().filter(w -> w instanceof FencedWrite.Unreachable).count();
    System.out.printf(
        "%d fenced writes after the kill, %d unreachable%n", writes.size(), unreachable);

    assertThat(leader.role()).isEqualTo(new Role.Leading(fence));
    assertThat(leader.roles()).hasSize(leaderRoles);
    assertThat(standby.roles().subList(standbyRoles, standby.roles().size()))
        .doesNotHaveAnyElementsOfTypes(Role.Leading.class);
  }

  private static String value(Client client, String key) throws Exception {
    var kvs = client.getKVClient().get(bytes(key)).get(10, TimeUnit.SECONDS).getKvs();
    return kvs.isEmpty() ? "" : kvs.get(0).getValue().toString(UTF_8);
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, UTF_8);
  }
}

package io.svcreg.ha;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A high-availability group as one member sees it ({@code svcreg get cluster}, {@code
 * server_info}'s {@code cluster}).
 *
 * @param member this member's API address
 * @param role {@code leader}, {@code standby}, {@code electing} (no leader known) or {@code
 *     deposed} (it lost its leadership and is stopping)
 * @param leader the leader's API address, when one leads
 * @param epoch the leader's epoch (its leadership key's create revision), 0 when none leads
 * @param members every member campaigning, the leader first
 * @param etcd each etcd endpoint's health
 */
public record Cluster(
    String member,
    String role,
    Optional<String> leader,
    long epoch,
    List<Member> members,
    List<Etcd> etcd) {

  /** Copies the lists. */
  public Cluster {
    members = List.copyOf(members);
    etcd = List.copyOf(etcd);
  }

  /** A member: its API address, whether it leads, since which revision it campaigns. */
  public record Member(String address, boolean leader, long since) {}

  /**
   * An etcd endpoint: whether it answered, whether it is the raft leader, its revision and database
   * size, or why it did not answer.
   */
  public record Etcd(
      String endpoint,
      boolean healthy,
      boolean raftLeader,
      long revision,
      long dbSize,
      String error) {}

  /** As JSON-ready maps, for the API. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("member", member);
    m.put("role", role);
    m.put("leader", leader.orElse(null));
    m.put("epoch", epoch);
    m.put(
        "members",
        members.stream()
            .map(
                x ->
                    Map.<String, Object>of(
                        "address", x.address(), "leader", x.leader(), "since", x.since()))
            .toList());
    m.put(
        "etcd",
        etcd.stream()
            .map(
                e -> {
                  Map<String, Object> x = new LinkedHashMap<>();
                  x.put("endpoint", e.endpoint());
                  x.put("healthy", e.healthy());
                  x.put("raftLeader", e.raftLeader());
                  x.put("revision", e.revision());
                  x.put("dbSize", e.dbSize());
                  if (!e.error().isEmpty()) {
                    x.put("error", e.error());
                  }
                  return x;
                })
            .toList());
    return m;
  }
}

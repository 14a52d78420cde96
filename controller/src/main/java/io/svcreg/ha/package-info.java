/**
 * High availability ({@code serve --etcd}): several controllers share one etcd v3 cluster, one of
 * them leads. {@link io.svcreg.ha.Leadership} campaigns on the key prefix {@code /svcreg/leader}
 * with an etcd lease it keeps alive; the leadership key's create revision is the leader's epoch. A
 * leader stops acting the moment it loses its lease (the keep-alive ends, or the TTL passes without
 * an answer, measured on an injected clock) and campaigns again. Every write of the leader is a
 * transaction guarded by its {@link io.svcreg.ha.Fence} (the key still exists with that create
 * revision), so the write of a deposed leader fails with {@link io.svcreg.ha.FencedWrite.Deposed}
 * instead of overwriting its successor's. Closing resigns: the lease is revoked and a standby takes
 * over at once.
 *
 * <p>etcd is also the replicated, fenced log in front of each member's store: the leader's store
 * replicates every commit through an {@link io.svcreg.ha.EtcdReplicator} (the log and the state
 * under {@code /svcreg/}, in one transaction), and every member's {@link io.svcreg.ha.EtcdFollower}
 * applies the log to its own store, or rebuilds it from the state once the log was compacted.
 */
package io.svcreg.ha;

package io.svcreg.ha;

/** What became of a write of the leader's, guarded by its {@link Fence}. */
public sealed interface FencedWrite {

  /** Committed at etcd revision {@code revision}. */
  record Written(long revision) implements FencedWrite {}

  /** The fence held but a condition of the write's own did not: nothing was written. */
  record Conflict(long revision) implements FencedWrite {}

  /** The leadership of epoch {@code epoch} is over: nothing was written; stop acting. */
  record Deposed(long epoch) implements FencedWrite {}

  /** etcd did not answer: the write may or may not have been committed. */
  record Unreachable(String reason) implements FencedWrite {}
}

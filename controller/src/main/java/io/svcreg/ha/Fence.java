package io.svcreg.ha;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The guard of a leader's writes: its leadership key {@code key} still exists and was created at
 * revision {@code epoch}. Once the key is gone (lease revoked or expired, leadership resigned) no
 * fenced transaction of this epoch can commit, whoever leads now.
 */
public record Fence(String key, long epoch) {

  /** The comparison every fenced transaction starts with. */
  public Cmp guard() {
    return new Cmp(ByteSequence.from(key, UTF_8), Cmp.Op.EQUAL, CmpTarget.createRevision(epoch));
  }

  /**
   * Commits {@code ops} if this fence holds. The future never fails; it completes on a jetcd
   * thread, so stages that depend on it must not block.
   */
  public CompletableFuture<FencedWrite> write(KV kv, Op... ops) {
    return kv.txn().If(guard()).Then(ops).commit().handle(this::outcome);
  }

  /**
   * Commits {@code ops} if this fence holds and all of {@code conditions} do (e.g. a key's mod
   * revision, for a compare-and-set); {@link FencedWrite.Conflict} when only the conditions fail.
   */
  public CompletableFuture<FencedWrite> write(KV kv, List<Cmp> conditions, List<Op> ops) {
    Op inner = Op.txn(conditions.toArray(Cmp[]::new), ops.toArray(Op[]::new), new Op[0]);
    return kv.txn().If(guard()).Then(inner).commit().handle(this::outcome);
  }

  private FencedWrite outcome(TxnResponse response, Throwable failure) {
    if (failure != null) {
      return new FencedWrite.Unreachable(reason(failure));
    }
    long revision = response.getHeader().getRevision();
    if (!response.isSucceeded()) {
      return new FencedWrite.Deposed(epoch);
    }
    List<TxnResponse> nested = response.getTxnResponses();
    if (!nested.isEmpty() && !nested.get(0).isSucceeded()) {
      return new FencedWrite.Conflict(revision);
    }
    return new FencedWrite.Written(revision);
  }

  /** The message of the failure a future was completed with, without its wrappers. */
  static String reason(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}

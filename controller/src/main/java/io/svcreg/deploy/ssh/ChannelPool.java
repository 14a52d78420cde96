package io.svcreg.deploy.ssh;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.sshd.client.session.ClientSession;

/**
 * Channels of one SSH session kept open between uses ({@link NodeShell}s, SFTP clients): what one
 * action takes, no other action uses until it is given back; at most {@code max} idle ones are
 * kept, the rest closed, and none is handed out once it is older than {@code maxAge} (a kept shell
 * would keep the environment of its start: a change to the user's rc files on the node reaches the
 * scripts within that time). One can be opened ahead ({@link #warm}), right after logging in, so
 * that the first action does not wait for the node to start it. All of them belong to the session
 * they were opened on: {@link #clear} closes them when it is replaced.
 */
final class ChannelPool<T> {

  /** Opens a channel of the kind on a session, within a time limit. */
  interface Opener<T> {
    T open(ClientSession session, Duration timeout) throws IOException;
  }

  /** What an action does with a channel it took. */
  interface Use<T, R> {
    R apply(T channel) throws IOException;
  }

  /** Opening took longer than the time limit. */
  static final class OpenTimeout extends IOException {
    private static final long serialVersionUID = 1L;

    OpenTimeout() {
      super("timed out");
    }
  }

  private static final Logger LOG = System.getLogger(ChannelPool.class.getName());

  private final String what;
  private final int max;
  private final Opener<T> opener;
  private final Predicate<T> isOpen;
  private final Consumer<T> closer;
  private final Duration maxAge;
  private final Deque<T> idle = new ArrayDeque<>(); // the most recently used first
  private final Map<T, Long> openedAt = Collections.synchronizedMap(new IdentityHashMap<>());
  private ClientSession session; // the one the idle channels belong to
  private CompletableFuture<T> warming;

  ChannelPool(
      String what,
      int max,
      Duration maxAge,
      Opener<T> opener,
      Predicate<T> isOpen,
      Consumer<T> closer) {
    this.what = what;
    this.max = max;
    this.maxAge = maxAge;
    this.opener = opener;
    this.isOpen = isOpen;
    this.closer =
        t -> {
          openedAt.remove(t);
          closer.accept(t);
        };
  }

  /**
   * An idle channel of {@code s}, the one being opened ahead, or a new one; waiting and opening
   * count against {@code timeout} ({@link OpenTimeout}).
   */
  T take(ClientSession s, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    CompletableFuture<T> warm = null;
    synchronized (this) {
      if (session == s) {
        while (!idle.isEmpty()) {
          T t = idle.pop();
          if (usable(t)) {
            return t;
          }
          closer.accept(t);
        }
        warm = warming;
        warming = null;
      }
    }
    if (warm != null) {
      try {
        T t = warm.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (usable(t)) {
          return t;
        }
        closer.accept(t);
      } catch (TimeoutException e) {
        warm.thenAccept(closer);
        throw new OpenTimeout();
      } catch (InterruptedException e) {
        warm.thenAccept(closer);
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while opening " + what);
      } catch (ExecutionException e) {
        // opening it failed: try again, with the time that is left
      }
    }
    return open(s, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
  }

  private T open(ClientSession s, Duration timeout) throws IOException {
    T t = opener.open(s, timeout);
    openedAt.put(t, System.nanoTime());
    return t;
  }

  /** Open, and not older than the maximum age. */
  private boolean usable(T t) {
    Long opened = openedAt.get(t);
    return isOpen.test(t) && opened != null && System.nanoTime() - opened < maxAge.toNanos();
  }

  /**
   * Takes a channel ({@link #take}), runs {@code use} with it and gives it back; one whose use
   * failed is closed instead.
   */
  <R> R with(ClientSession s, Duration timeout, Use<T, R> use) throws IOException {
    T t = take(s, timeout);
    boolean ok = false;
    try {
      R r = use.apply(t);
      ok = true;
      return r;
    } finally {
      if (ok) {
        giveBack(s, t);
      } else {
        discard(t);
      }
    }
  }

  /**
   * Keeps {@code t} for the next action when it is still open and there is room, else closes it.
   */
  void giveBack(ClientSession s, T t) {
    synchronized (this) {
      if (s == session && s.isOpen() && usable(t) && idle.size() < max) {
        idle.push(t);
        return;
      }
    }
    closer.accept(t);
  }

  /** Closes {@code t}, taken from this pool, instead of giving it back (e.g. after a failure). */
  void discard(T t) {
    closer.accept(t);
  }

  /**
   * Starts opening one channel on {@code s} in the background, when none is idle or being opened;
   * from now on the pool keeps channels of {@code s} only.
   */
  void warm(ClientSession s, Duration timeout) {
    CompletableFuture<T> warm = new CompletableFuture<>();
    synchronized (this) {
      use(s);
      if (warming != null || !idle.isEmpty()) {
        return;
      }
      warming = warm;
    }
    Thread.ofVirtual()
        .name("ssh-" + what)
        .start(
            () -> {
              try {
                warm.complete(open(s, timeout));
              } catch (IOException | RuntimeException e) {
                LOG.log(Level.DEBUG, "cannot open {0} ahead: {1}", what, e.getMessage());
                warm.completeExceptionally(e);
              }
              synchronized (this) {
                if (warming == warm) { // nobody waited for it
                  warming = null;
                  warm.thenAccept(t -> giveBack(s, t));
                }
              }
            });
  }

  /** From now on the pool keeps channels of {@code s} only; the others are closed. */
  synchronized void use(ClientSession s) {
    if (session != s) {
      clear();
      session = s;
    }
  }

  /** Closes the idle channels and the one being opened ahead. */
  synchronized void clear() {
    idle.forEach(closer);
    idle.clear();
    if (warming != null) {
      warming.thenAccept(closer);
      warming = null;
    }
    session = null;
  }
}

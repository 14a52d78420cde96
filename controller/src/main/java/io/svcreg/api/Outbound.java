package io.svcreg.api;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one writer of a WebSocket session: a bounded queue of outgoing messages drained by one
 * virtual thread, because a session's send is not thread-safe. Messages are queued as whole frames
 * ({@link Frames}); the writer takes every frame queued by the time it wakes (up to {@link
 * #BATCH_BYTES}) and writes them with one socket write, so a burst costs one TLS write, not one per
 * message. Live events never wait for it: when the queue is full, {@link #offer} refuses the event
 * and the caller catches the watcher up from the journal with {@link #put}, which waits for room. A
 * watcher is cut off (what is queued dropped, then close 1008 with the revision to resume from)
 * only when no room comes within the put's timeout: it really does not read. A reply to a request
 * is written by the request's own thread when nothing is queued before it ({@link #reply}), so
 * answers never queue behind the delivery of events to other watchers.
 */
final class Outbound {

  private static final Logger LOG = System.getLogger(Outbound.class.getName());

  /** Close code of a policy violation (RFC 6455): used for a watcher that cannot keep up. */
  static final int POLICY_VIOLATION = 1008;

  /** Bytes of frames the writer puts into one socket write at most (a larger frame goes alone). */
  static final int BATCH_BYTES = 64 * 1024;

  /** What the writer does with the connection; called from the writer thread only. */
  interface Sink {
    /** Writes whole text frames ({@link Frames#text}): {@code length} bytes of {@code frames}. */
    void write(byte[] frames, int length) throws Exception;

    /** Sends a ping. */
    void ping() throws Exception;

    /** Sends a pong with this payload. */
    void pong(byte[] payload) throws Exception;

    /** Sends a close frame. */
    void close(int code, String reason) throws Exception;

    /** Drops the connection without a close handshake (the peer is gone or stuck). */
    void abort();
  }

  private enum Kind {
    TEXT,
    REPLY,
    PING,
    PONG,
    CLOSE
  }

  /**
   * {@code payload}: a TEXT or REPLY item's frame or a PONG's payload; a CLOSE's reason and code.
   */
  private record Item(Kind kind, String text, byte[] payload, long revision, int bytes) {
    boolean frame() {
      return kind == Kind.TEXT || kind == Kind.REPLY;
    }
  }

  private final Sink sink;
  private final int maxMessages;
  private final long maxBytes;
  private final Runnable onDone;
  private final Runnable onClosing;
  private final Thread writer;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  private final Condition notFull = lock.newCondition();
  private final ArrayDeque<Item> queue = new ArrayDeque<>();
  private long queuedBytes;
  private int queuedReplies;
  private boolean closing;
  private boolean done;
  private volatile long lastRevision = -1;
  private final ReentrantLock sending = new ReentrantLock();
  private boolean closeSent;

  /** Whether the writer took frames from the queue that it has not sent yet; under the lock. */
  private boolean taken;

  /** Replies up to this size may be written by the request's thread ({@link #reply}). */
  static final int DIRECT_REPLY_BYTES = 16 * 1024;

  /**
   * A writer for {@code sink}, holding at most {@code maxMessages} messages or {@code maxBytes}
   * bytes; {@code onClosing} runs once when a close is queued (it must not block: a send may be
   * stuck on a peer that stopped reading), {@code onDone} once when the writer stops (closed or
   * failed).
   */
  Outbound(Sink sink, int maxMessages, long maxBytes, Runnable onClosing, Runnable onDone) {
    this.sink = sink;
    this.maxMessages = maxMessages;
    this.maxBytes = maxBytes;
    this.onClosing = onClosing;
    this.onDone = onDone;
    this.writer = Thread.ofVirtual().name("svcreg-ws-writer").start(this::drain);
  }

  /**
   * Stops a send that is stuck on a peer that stopped reading: interrupting a virtual thread
   * blocked on a socket closes the socket.
   */
  void interrupt() {
    writer.interrupt();
  }

  /**
   * Queues a frame ({@link Frames#text}, shared with other sessions: never changed) without
   * waiting; {@code revision} (or -1) is the event revision the stream has reached once it is sent.
   * Returns whether it was queued: not when closing, nor when the queue is full (the watcher is not
   * cut off for it: the caller catches it up with {@link #put}).
   */
  boolean offer(byte[] frame, long revision) {
    lock.lock();
    try {
      if (closing) {
        return false;
      }
      int bytes = frame.length;
      if (queue.size() >= maxMessages || queuedBytes + bytes > maxBytes) {
        return false;
      }
      add(new Item(Kind.TEXT, null, frame, revision, bytes));
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Queues a response to a request: the byte bound does not apply (the client paces its requests,
   * and one large answer, like a list of 10,000 services, must not cut it off), and the message
   * bound counts the responses alone (events catching up fill the queue, and a watcher that asks
   * meanwhile must not be cut off for it). More responses than that waiting: the client does not
   * read them, and is cut off. Returns whether it was queued.
   */
  boolean reply(String text, long revision) {
    byte[] frame = Frames.text(text);
    if (revision < 0 && frame.length <= DIRECT_REPLY_BYTES && sending.tryLock()) {
      try {
        Boolean sent = sendDirectly(frame);
        if (sent != null) {
          return sent;
        }
      } finally {
        sending.unlock();
      }
    }
    lock.lock();
    try {
      if (closing) {
        return false;
      }
      if (queuedReplies >= maxMessages) {
        overflow();
        return false;
      }
      add(new Item(Kind.REPLY, null, frame, revision, frame.length));
      return true;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Writes a reply on the calling (request) thread, holding {@link #sending}, when nothing is
   * queued or being sent before it: the answer to a request then never waits for the writer thread
   * to be scheduled, behind the writers of every watcher a burst of events woke. Returns null when
   * it must be queued instead, else whether it was sent.
   */
  private Boolean sendDirectly(byte[] frame) {
    lock.lock();
    try {
      if (closing) {
        return false;
      }
      if (!queue.isEmpty() || taken || closeSent) {
        return null;
      }
    } finally {
      lock.unlock();
    }
    try {
      sink.write(frame, frame.length);
      return true;
    } catch (Exception e) {
      LOG.log(Level.DEBUG, "a WebSocket write failed; dropping the connection: " + e);
      sink.abort();
      stopped(); // the writer stops (and reports it) when it wakes
      return false;
    }
  }

  /**
   * Queues a frame ({@link Frames#text}), waiting at most {@code timeout} for room (a replay paced
   * by the watcher); cuts the watcher off when there is none by then: it has read nothing for that
   * long. Returns whether it was queued.
   */
  boolean put(byte[] frame, long revision, Duration timeout) throws InterruptedException {
    long left = timeout.toNanos();
    lock.lockInterruptibly();
    try {
      int bytes = frame.length;
      while (!closing
          && !queue.isEmpty()
          && (queue.size() >= maxMessages || queuedBytes + bytes > maxBytes)) {
        if (left <= 0) {
          overflow();
          return false;
        }
        left = notFull.awaitNanos(left);
      }
      if (closing) {
        return false;
      }
      add(new Item(Kind.TEXT, null, frame, revision, bytes));
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** Queues a ping unless the queue is full (a busy stream needs no keep-alive). */
  void ping() {
    control(new Item(Kind.PING, null, null, -1, 0));
  }

  /** Queues a pong. */
  void pong(byte[] payload) {
    control(new Item(Kind.PONG, null, payload, -1, payload.length));
  }

  private void control(Item item) {
    lock.lock();
    try {
      if (!closing && queue.size() < maxMessages) {
        add(item);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Sends what is queued, then a close frame; nothing is queued after it. */
  void close(int code, String reason) {
    lock.lock();
    try {
      if (closing) {
        return;
      }
      closing = true;
      add(new Item(Kind.CLOSE, reason, null, code, 0));
      onClosing.run();
    } finally {
      lock.unlock();
    }
  }

  /** The revision the stream has reached: of the last event sent (-1 before any). */
  long lastRevision() {
    return lastRevision;
  }

  /** Messages waiting to be sent. */
  int depth() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  /** Whether the session is closing (nothing more is sent but what is queued). */
  boolean closing() {
    lock.lock();
    try {
      return closing;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The peer closed the connection: stop writing, and answer its close frame (the reading thread
   * would otherwise send it concurrently with this writer). Returns once no send is in flight.
   */
  void peerClosed(int code) {
    stopped();
    sending.lock();
    try {
      if (!closeSent) {
        closeSent = true;
        try {
          sink.close(code, code == 1002 ? "invalid close code" : "normal");
        } catch (Exception e) {
          LOG.log(Level.DEBUG, "cannot answer a close frame: " + e);
        }
      }
    } finally {
      sending.unlock();
    }
  }

  /**
   * Cuts the watcher off (it fell further behind than the journal retains): what is queued is
   * dropped, then 1008 with the revision to resume from.
   */
  void cutOff() {
    lock.lock();
    try {
      if (!closing) {
        overflow();
      }
    } finally {
      lock.unlock();
    }
  }

  private void overflow() {
    // called with the lock held: drop what is queued, close once the send in flight is done
    closing = true;
    queue.clear();
    queuedBytes = 0;
    queuedReplies = 0;
    add(new Item(Kind.CLOSE, null, null, POLICY_VIOLATION, 0));
    onClosing.run();
  }

  private void add(Item item) {
    queue.addLast(item);
    queuedBytes += item.bytes();
    if (item.kind() == Kind.REPLY) {
      queuedReplies++;
    }
    notEmpty.signal();
  }

  private Item take() {
    Item item = queue.removeFirst();
    queuedBytes -= item.bytes();
    if (item.kind() == Kind.REPLY) {
      queuedReplies--;
    }
    return item;
  }

  private void drain() {
    ArrayList<Item> batch = new ArrayList<>();
    try {
      while (true) {
        batch.clear();
        lock.lock();
        try {
          while (queue.isEmpty() && !done) {
            notEmpty.await();
          }
          if (done) {
            return;
          }
          // every text frame queued by now, up to BATCH_BYTES, goes out in one write
          Item first = take();
          batch.add(first);
          int bytes = first.bytes();
          if (first.frame()) {
            Item next;
            while ((next = queue.peekFirst()) != null
                && next.frame()
                && bytes + next.bytes() <= BATCH_BYTES) {
              batch.add(take());
              bytes += next.bytes();
            }
          }
          taken = true;
          notFull.signalAll();
        } finally {
          lock.unlock();
        }
        sending.lock();
        try {
          if (closeSent) {
            return;
          }
          Item item = batch.getFirst();
          switch (item.kind()) {
            case TEXT, REPLY -> {
              writeFrames(batch);
              for (Item sent : batch) {
                if (sent.revision() >= 0) {
                  lastRevision = sent.revision();
                }
              }
            }
            case PING -> sink.ping();
            case PONG -> sink.pong(item.payload());
            case CLOSE -> {
              closeSent = true;
              String reason =
                  item.text() != null
                      ? item.text()
                      : "outbound queue full; resume with since=" + Math.max(0, lastRevision);
              sink.close((int) item.revision(), reason);
              return;
            }
          }
        } finally {
          sending.unlock();
          lock.lock();
          try {
            taken = false;
          } finally {
            lock.unlock();
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      LOG.log(Level.DEBUG, "a WebSocket write failed; dropping the connection: " + e);
      sink.abort();
    } finally {
      stopped();
      onDone.run();
    }
  }

  /** Nothing more is written: what is queued is dropped, and every waiter wakes. */
  private void stopped() {
    lock.lock();
    try {
      done = true;
      closing = true;
      queue.clear();
      queuedBytes = 0;
      queuedReplies = 0;
      notEmpty.signalAll();
      notFull.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void writeFrames(List<Item> batch) throws Exception {
    if (batch.size() == 1) {
      byte[] frame = batch.getFirst().payload();
      sink.write(frame, frame.length);
      return;
    }
    int length = 0;
    for (Item i : batch) {
      length += i.payload().length;
    }
    byte[] all = new byte[length];
    int at = 0;
    for (Item i : batch) {
      System.arraycopy(i.payload(), 0, all, at, i.payload().length);
      at += i.payload().length;
    }
    sink.write(all, length);
  }

  /** Waits until the writer has stopped, at most {@code timeout}; returns whether it did. */
  boolean awaitDone(Duration timeout) throws InterruptedException {
    long left = timeout.toNanos();
    lock.lock();
    try {
      while (!done) {
        if (left <= 0) {
          return false;
        }
        left = notFull.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  static int utf8Length(String s) {
    int n = s.length();
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return s.getBytes(StandardCharsets.UTF_8).length;
      }
    }
    return n;
  }
}

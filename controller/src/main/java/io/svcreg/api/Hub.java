package io.svcreg.api;

import io.svcreg.store.Event;
import io.svcreg.store.Store;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * Fans the store's committed events out to the connected watchers. The store hands each commit's
 * events over without waiting (inside its commit lock, so in revision order); one dispatcher thread
 * encodes each event once into a WebSocket frame and offers those bytes to every watcher's bounded
 * outbound queue, which never blocks: a watcher whose queue is full catches up from the journal at
 * its own pace, and one that reads nothing is cut off, never the controller or the other watchers.
 * The frames of the newest {@link #RECENT} events (the small ones) are kept for replays, so that
 * watchers resuming together do not encode the same events again each.
 */
final class Hub implements AutoCloseable {

  private static final Logger LOG = System.getLogger(Hub.class.getName());

  /** How many of the newest events' frames are kept for replays (a power of two). */
  static final int RECENT = 4096;

  /** Frames larger than this are not kept (so the kept ones hold at most 8 MiB). */
  static final int RECENT_MAX_BYTES = 2048;

  /** An event and its frame ({@link Frames#text} of its message; shared, never changed). */
  record Pushed(Event event, byte[] frame) {}

  private final Store store;
  private final Consumer<List<Event>> observer;
  private final Consumer<List<Event>> listener = this::onCommit;
  private final LinkedBlockingQueue<List<Event>> inbox = new LinkedBlockingQueue<>();
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
  private final AtomicReferenceArray<Pushed> recent = new AtomicReferenceArray<>(RECENT);
  private final Thread dispatcher;
  private volatile boolean closed;

  /** A hub fed by {@code store}'s commits; {@code observer} sees every batch first (metrics). */
  Hub(Store store, Consumer<List<Event>> observer) {
    this.store = store;
    this.observer = observer;
    this.dispatcher = Thread.ofPlatform().name("svcreg-ws-hub").daemon().start(this::dispatch);
    store.addCommitListener(listener);
  }

  private void onCommit(List<Event> events) {
    inbox.add(events);
  }

  /** Adds a connection that may subscribe. */
  void add(Connection c) {
    connections.add(c);
  }

  /** Removes a connection. */
  void remove(Connection c) {
    connections.remove(c);
  }

  /** An event with its frame: the one already encoded for the watchers, or a new one. */
  Pushed pushed(Event e) {
    int slot = (int) (e.revision() & (RECENT - 1));
    Pushed p = recent.get(slot);
    if (p != null && p.event().revision() == e.revision()) {
      return p;
    }
    return new Pushed(e, Frames.text(Wire.event(e)));
  }

  /** The open connections. */
  Set<Connection> connections() {
    return connections;
  }

  private void dispatch() {
    while (!closed) {
      List<Event> batch;
      try {
        batch = inbox.take();
      } catch (InterruptedException e) {
        return;
      }
      try {
        observer.accept(batch);
        for (Event e : batch) {
          Pushed p = null;
          for (Connection c : connections) {
            if (c.subscribed()) {
              if (p == null) {
                // encoded only when someone watches; kept for the replays of resuming watchers
                p = new Pushed(e, Frames.text(Wire.event(e)));
                int slot = (int) (e.revision() & (RECENT - 1));
                recent.set(slot, p.frame().length <= RECENT_MAX_BYTES ? p : null);
              }
              c.deliver(p);
            }
          }
        }
      } catch (RuntimeException e) {
        LOG.log(Level.ERROR, "cannot deliver events to watchers: " + e.getMessage(), e);
      }
    }
  }

  @Override
  public void close() {
    store.removeCommitListener(listener);
    closed = true;
    dispatcher.interrupt();
  }
}

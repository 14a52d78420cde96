package io.svcreg.api;

import io.svcreg.store.Event;
import io.svcreg.store.Store;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * Fans the store's committed events out to the connected watchers. The store hands each write's
 * events over without waiting (inside its commit lock, so in revision order, every event of a
 * revision in one hand-over); one dispatcher thread encodes the events of each revision once into
 * one WebSocket frame ({@link Wire#revision}: an {@code event} message, or an {@code events}
 * message when several events share the revision, as in a replicated store) and offers those bytes
 * to every watcher's bounded outbound queue, which never blocks: a watcher whose queue is full
 * catches up from the journal at its own pace, and one that reads nothing is cut off, never the
 * controller or the other watchers. The frames of the newest {@link #RECENT} revisions (the small
 * ones) are kept for replays, so that watchers resuming together do not encode the same events
 * again each.
 */
final class Hub implements AutoCloseable {

  private static final Logger LOG = System.getLogger(Hub.class.getName());

  /** How many of the newest revisions' frames are kept for replays (a power of two). */
  static final int RECENT = 4096;

  /** Frames larger than this are not kept (so the kept ones hold at most 8 MiB). */
  static final int RECENT_MAX_BYTES = 2048;

  /** How many filters' frames a {@link Pushed} keeps at most (more are encoded each time). */
  private static final int MAX_FILTERS = 16;

  /** What {@link Pushed#frame(Set)} keeps for a filter that leaves none of the events. */
  private static final byte[] NOTHING = new byte[0];

  /**
   * The events of one revision (all of them, in journal order) and the frame of their message
   * ({@link Frames#text} of {@link Wire#revision}; shared, never changed), with the frames of what
   * the filters of subscriptions leave of them, made when first asked for.
   */
  static final class Pushed {
    private final long revision;
    private final List<Event> events;
    private final byte[] frame;
    private final Map<Set<String>, byte[]> filtered = new ConcurrentHashMap<>();

    /** Encodes {@code events}, which must be all the events of one revision, in journal order. */
    Pushed(List<Event> events) {
      this.events = List.copyOf(events);
      this.revision = this.events.getFirst().revision();
      this.frame = Frames.text(Wire.revision(this.events));
    }

    /** The revision. */
    long revision() {
      return revision;
    }

    /** The frame of every event of the revision (what a watcher of all events gets). */
    byte[] frame() {
      return frame;
    }

    /**
     * The frame for a watcher of the event names {@code names} (empty: all of them): what remains
     * once the others are left out, in one message; null when it watches none of these events.
     */
    byte[] frame(Set<String> names) {
      if (names.isEmpty() || events.stream().allMatch(e -> names.contains(e.type()))) {
        return frame;
      }
      byte[] f = filtered.get(names);
      if (f == null) {
        List<Event> kept = events.stream().filter(e -> names.contains(e.type())).toList();
        f = kept.isEmpty() ? NOTHING : Frames.text(Wire.revision(kept));
        if (filtered.size() < MAX_FILTERS) {
          filtered.putIfAbsent(names, f);
        }
      }
      return f == NOTHING ? null : f;
    }
  }

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

  /**
   * The events of one revision (all of them) with their frame: the one already encoded for the
   * watchers, or a new one.
   */
  Pushed pushed(List<Event> revision) {
    Pushed p = recent.get(slot(revision.getFirst().revision()));
    if (p != null && p.revision() == revision.getFirst().revision()) {
      return p;
    }
    return new Pushed(revision);
  }

  private static int slot(long revision) {
    return (int) (revision & (RECENT - 1));
  }

  /**
   * {@code events} (in revision order, whole revisions) cut into revisions: each run of events that
   * share one, as views of {@code events}.
   */
  static List<List<Event>> byRevision(List<Event> events) {
    List<List<Event>> revisions = new ArrayList<>();
    int start = 0;
    for (int i = 1; i <= events.size(); i++) {
      if (i == events.size() || events.get(i).revision() != events.get(start).revision()) {
        revisions.add(events.subList(start, i));
        start = i;
      }
    }
    return revisions;
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
        for (List<Event> revision : byRevision(batch)) {
          Pushed p = null;
          for (Connection c : connections) {
            if (c.subscribed()) {
              if (p == null) {
                // encoded only when someone watches; kept for the replays of resuming watchers
                p = new Pushed(revision);
                recent.set(slot(p.revision()), p.frame().length <= RECENT_MAX_BYTES ? p : null);
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

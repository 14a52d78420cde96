package io.svcreg.api;

import io.svcreg.store.Event;
import io.svcreg.store.Store;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/**
 * Fans the store's committed events out to the connected watchers. The store hands each commit's
 * events over without waiting (inside its commit lock, so in revision order); one dispatcher thread
 * encodes each event once and offers it to every watcher's bounded outbound queue, which never
 * blocks: a watcher that cannot keep up is cut off, never the controller or the other watchers.
 */
final class Hub implements AutoCloseable {

  private static final Logger LOG = System.getLogger(Hub.class.getName());

  /** An event and its encoded message. */
  record Pushed(Event event, String text) {}

  private final Store store;
  private final Consumer<List<Event>> observer;
  private final Consumer<List<Event>> listener = this::onCommit;
  private final LinkedBlockingQueue<List<Event>> inbox = new LinkedBlockingQueue<>();
  private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
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
                p = new Pushed(e, Wire.event(e));
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

package io.svcreg.store;

import io.svcreg.core.Lease;
import io.svcreg.schema.Ipv4;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;

/**
 * The process {@link StoreCrashIT} kills: opens the store in {@code args[0]}, prints {@code opened
 * N} (its last revision), then commits in a loop and prints {@code committed R} for every event
 * revision once {@code commit} has returned, until it is killed.
 */
public final class CrashWriter {

  private CrashWriter() {}

  public static void main(String[] args) {
    System.out.println("opening");
    System.out.flush();
    try (Store store =
        Store.open(Path.of(args[0]), StoreOptions.defaults(), InstantSource.system())) {
      System.out.println("opened " + store.lastRevision());
      System.out.flush();
      for (long i = store.lastRevision() / 2; ; i++) {
        // commit i toggles one of 40 services with its lease, and journals two events
        int n = (int) (i % 40);
        String name = "svc-" + n;
        Lease lease = new Lease("local", Ipv4.of("127.1.0.2").plus(n), name);
        Transaction tx = new Transaction();
        if (store.service(name).isPresent()) {
          tx.removeService(name).removeLease(lease);
        } else {
          tx.putService(Fixtures.service(name)).addLease(lease);
        }
        tx.event(Event.SERVICE_UPDATED, "Service/" + name, Map.of("i", i))
            .event(Event.RECONCILE_DIFF, "Service/" + name, Map.of("i", i));
        List<Event> events = store.commit(tx);
        StringBuilder out = new StringBuilder();
        for (Event e : events) {
          out.append("committed ").append(e.revision()).append('\n');
        }
        System.out.print(out);
        System.out.flush();
      }
    }
  }
}

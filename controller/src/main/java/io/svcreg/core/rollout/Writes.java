package io.svcreg.core.rollout;

import io.svcreg.core.Lease;
import io.svcreg.core.ObservedService;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What a decision writes to the store, in one commit: the service's next record (or its removal),
 * the operator's intent and the loop's ledger (an empty one is removed), leases taken and given
 * back, the events to journal, and the lines to log.
 */
public record Writes(
    Optional<ObservedService> service,
    boolean removeService,
    Optional<Intent> intent,
    Optional<Ledger> ledger,
    List<Lease> leased,
    List<Lease> released,
    List<EventDraft> events,
    List<Note> notes) {

  public Writes {
    leased = List.copyOf(leased);
    released = List.copyOf(released);
    events = List.copyOf(events);
    notes = List.copyOf(notes);
  }

  /** Nothing to write. */
  public static final Writes NONE =
      new Writes(
          Optional.empty(),
          false,
          Optional.empty(),
          Optional.empty(),
          List.of(),
          List.of(),
          List.of(),
          List.of());

  /** Whether there is nothing to write or log. */
  public boolean isEmpty() {
    return service.isEmpty()
        && !removeService
        && intent.isEmpty()
        && ledger.isEmpty()
        && leased.isEmpty()
        && released.isEmpty()
        && events.isEmpty()
        && notes.isEmpty();
  }

  /** These writes followed by {@code later} (whose record, intent and ledger win). */
  public Writes then(Writes later) {
    if (isEmpty()) {
      return later;
    }
    if (later.isEmpty()) {
      return this;
    }
    boolean removed = later.removeService || (removeService && later.service.isEmpty());
    return new Writes(
        removed ? Optional.empty() : later.service.or(() -> service),
        removed,
        later.intent.or(() -> intent),
        later.ledger.or(() -> ledger),
        concat(leased, later.leased),
        concat(released, later.released),
        concat(events, later.events),
        concat(notes, later.notes));
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    if (a.isEmpty()) {
      return b;
    }
    if (b.isEmpty()) {
      return a;
    }
    List<T> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}

package io.svcreg.core.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.core.ObservedService;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * An entry point of {@link Rollout}, followed by the results of the steps it asks for, carried out
 * as the loop does: each result goes to {@link Rollout#afterStep} with the situation after the
 * writes so far; {@link #reconcile} observes, then decides on the planned actions unless observing
 * ended the reconcile.
 */
record When(Entry entry, List<StepResult> results) {

  /** Which entry point. */
  enum Entry {
    OBSERVE,
    DECIDE,
    RECONCILE
  }

  static When observe(StepResult... results) {
    return new When(Entry.OBSERVE, List.of(results));
  }

  static When decide(StepResult... results) {
    return new When(Entry.DECIDE, List.of(results));
  }

  static When reconcile(StepResult... results) {
    return new When(Entry.RECONCILE, List.of(results));
  }

  // ------------------------------------------------------------------ results

  static StepResult started(long pid, boolean confirmed) {
    return new StepResult.Started(pid, Given.NOW.minusMillis(5), Optional.empty(), 0, confirmed);
  }

  static StepResult stopped() {
    return new StepResult.Stopped("stop.sh");
  }

  static StepResult installed() {
    return new StepResult.Installed("/srv/web", List.of());
  }

  static StepResult failed(String reason) {
    return new StepResult.Failed(reason, reason + " happened", "last log line");
  }

  static StepResult passing() {
    return new StepResult.Health(StepResult.Health.Kind.PASSING, "", "", "ok");
  }

  static StepResult failing() {
    return new StepResult.Health(StepResult.Health.Kind.FAILING, "HealthCheckFailed", "", "503");
  }

  static StepResult exited() {
    return new StepResult.Health(
        StepResult.Health.Kind.PROCESS_EXITED,
        "ProcessExited",
        "the health script of web 2.0.0 said passing, but its process (pid 100) is gone",
        "ok");
  }

  static StepResult nodeUnavailable(String reason) {
    return new StepResult.Health(
        StepResult.Health.Kind.NODE_UNAVAILABLE, reason, "node n1 did not answer", "");
  }

  // ------------------------------------------------------------------ running

  /**
   * What came of it: the steps carried out, the last decision (with the steps left), everything
   * written, and the situation after it.
   */
  record Result(List<Step> ran, Decision last, Writes writes, Situation after) {

    ObservedService record() {
      return after.have().orElseThrow();
    }

    /** The steps carried out, then the steps left. */
    List<Step> steps() {
      List<Step> all = new ArrayList<>(ran);
      all.addAll(last.steps());
      return all;
    }
  }

  Result on(Given given) {
    Loop loop = new Loop(given.situation());
    Decision d =
        switch (entry) {
          case OBSERVE -> loop.carry(Rollout.observe(loop.s, Rules.DEFAULTS));
          case DECIDE -> {
            loop.s = loop.s.withPlanned(given.planned());
            yield loop.carry(Rollout.decide(loop.s, Rules.DEFAULTS));
          }
          case RECONCILE -> {
            Decision observed = loop.carry(Rollout.observe(loop.s, Rules.DEFAULTS));
            if (observed.next().isPresent() || observed.hasSteps()) {
              yield observed;
            }
            loop.s = loop.s.withPlanned(given.planned());
            yield loop.carry(Rollout.decide(loop.s, Rules.DEFAULTS));
          }
        };
    assertThat(loop.results).as("results of steps never asked for").isEmpty();
    return new Result(loop.ran, d, loop.writes, loop.s);
  }

  /** Carries out decisions as the loop does. */
  private final class Loop {
    Situation s;
    final Deque<StepResult> results = new ArrayDeque<>(When.this.results);
    final List<Step> ran = new ArrayList<>();
    Writes writes = Writes.NONE;

    Loop(Situation s) {
      this.s = s;
    }

    Decision carry(Decision d) {
      writes = writes.then(d.writes());
      s = s.after(d.writes());
      while (d.hasSteps() && !results.isEmpty()) {
        Step step = d.steps().getFirst();
        ran.add(step);
        d = Rollout.afterStep(s, step, results.removeFirst(), d, Rules.DEFAULTS);
        writes = writes.then(d.writes());
        s = s.after(d.writes());
      }
      return d;
    }
  }
}

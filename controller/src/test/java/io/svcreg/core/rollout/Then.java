package io.svcreg.core.rollout;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.HealthState;
import io.svcreg.schema.Phase;
import io.svcreg.schema.ServiceStatus;
import io.svcreg.schema.SpecDuration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a case expects of a {@link When.Result}, as text: only what is set is checked. Steps read
 * {@code stop pid 100}, {@code install 2.0.0 forced}, {@code start 2.0.0}, {@code confirm pid 200},
 * {@code check health pid 100}; {@code next} reads {@code none} (the loop decides next), {@code
 * done}, {@code requeue 1s}, {@code retry} or {@code terminal}; a condition reads {@code
 * True/Reason} or {@code absent}.
 */
final class Then {

  private final Map<String, Object> expected = new LinkedHashMap<>();
  private final Map<String, String> messages = new LinkedHashMap<>();
  private Boolean recordWritten;

  private Then() {}

  static Then then() {
    return new Then();
  }

  Then steps(String... steps) {
    expected.put("steps", List.of(steps));
    return this;
  }

  Then next(String next) {
    expected.put("next", next);
    return this;
  }

  Then phase(Phase p) {
    expected.put("phase", p.wireName());
    return this;
  }

  /** Condition {@code type} is {@code statusAndReason}, e.g. {@code True/StartLimitReached}. */
  Then condition(String type, String statusAndReason) {
    expected.put("condition " + type, statusAndReason);
    return this;
  }

  Then noCondition(String type) {
    return condition(type, "absent");
  }

  /** The message of condition {@code type} contains {@code text}. */
  Then message(String type, String text) {
    messages.put(type, text);
    return this;
  }

  Then deployed(String v) {
    expected.put("deployedVersion", String.valueOf(v));
    return this;
  }

  Then previous(String v) {
    expected.put("previousVersion", String.valueOf(v));
    return this;
  }

  /** The recorded pid, or {@code none}. */
  Then pid(String p) {
    expected.put("pid", p);
    return this;
  }

  Then health(HealthState s) {
    expected.put("health", s.wireName());
    return this;
  }

  Then crashes(int n) {
    expected.put("crashes", n);
    return this;
  }

  /** The ledger's process: {@code pid 200 confirmed}, {@code pid 200 unconfirmed} or none. */
  Then process(String p) {
    expected.put("process", p);
    return this;
  }

  Then healthFailures(int n) {
    expected.put("healthFailures", n);
    return this;
  }

  /**
   * The operator's intent left: its pending flags among {@code held reset restart redeploy}, empty
   * when nothing is pending.
   */
  Then intent(String flags) {
    expected.put("intent", flags);
    return this;
  }

  Then events(String... types) {
    expected.put("events", List.of(types));
    return this;
  }

  /** The leases given back, by address. */
  Then released(String... addresses) {
    expected.put("released", List.of(addresses));
    return this;
  }

  /** The service record is not written at all. */
  Then recordUnchanged() {
    recordWritten = false;
    return this;
  }

  // ------------------------------------------------------------------ checking

  /** Checks everything expected at once, so that a failure shows every difference. */
  void check(String rule, When.Result r) {
    Map<String, Object> want = new LinkedHashMap<>(expected);
    Map<String, Object> got = new LinkedHashMap<>();
    expected.keySet().forEach(what -> got.put(what, actual(what, r)));
    messages.forEach(
        (type, text) -> {
          String what = "message of " + type + " contains \"" + text + "\"";
          want.put(what, true);
          // the message itself when it does not match, to show it
          Object message =
              r.record().status().condition(type).map(c -> (Object) c.message()).orElse("absent");
          got.put(what, message instanceof String m && m.contains(text) ? true : message);
        });
    if (recordWritten != null) {
      want.put("record written", recordWritten);
      got.put("record written", r.writes().service().isPresent());
    }
    assertThat(got).as(rule).isEqualTo(want);
  }

  private static Object actual(String what, When.Result r) {
    ServiceStatus st = r.record().status();
    if (what.startsWith("condition ")) {
      return st.condition(what.substring("condition ".length()))
          .map(c -> c.status().wireName() + "/" + c.reason())
          .orElse("absent");
    }
    return switch (what) {
      case "steps" -> r.steps().stream().map(Then::step).toList();
      case "next" -> r.last().next().map(Then::outcome).orElse("none");
      case "phase" -> st.phase().wireName();
      case "deployedVersion" -> st.deployedVersion().orElse("null");
      case "previousVersion" -> st.previousVersion().orElse("null");
      case "pid" -> st.pid().map(String::valueOf).orElse("none");
      case "health" -> st.health().state().wireName();
      case "crashes" -> r.after().ledger().crashes().size();
      case "process" ->
          r.after()
              .ledger()
              .process()
              .map(p -> "pid " + p.pid() + (p.confirmed() ? " confirmed" : " unconfirmed"))
              .orElse("none");
      case "healthFailures" -> r.after().ledger().healthFailures();
      case "intent" -> flags(r.after().intent());
      case "events" -> r.writes().events().stream().map(EventDraft::type).toList();
      case "released" -> r.writes().released().stream().map(l -> l.address().toString()).toList();
      default -> throw new IllegalArgumentException(what);
    };
  }

  static String step(Step s) {
    return switch (s) {
      case Step.Install x -> "install " + x.version() + (x.forced() ? " forced" : "");
      case Step.Start x ->
          "start " + x.version() + (x.dependencies().isEmpty() ? "" : " with " + x.dependencies());
      case Step.Confirm x -> "confirm pid " + x.process().pid();
      case Step.Stop x -> "stop" + x.pid().map(p -> " pid " + p).orElse("");
      case Step.StopStrays x -> "stop strays";
      case Step.Uninstall x -> "uninstall on " + x.node();
      case Step.CheckHealth x -> "check health" + x.pid().map(p -> " pid " + p).orElse("");
      case Step.Release x -> "release " + x.lease().address();
      case Step.RollBack x -> "roll back " + x.from() + " → " + x.to();
      case Step.Bind x ->
          "bind" + x.address().map(a -> " " + a).orElse("") + "/" + x.subnet().prefix();
      case Step.Unbind x -> "unbind " + x.address() + " on " + x.node();
    };
  }

  static String outcome(Outcome o) {
    return switch (o) {
      case Outcome.Done x -> "done";
      case Outcome.RequeueAfter x -> "requeue " + new SpecDuration(x.delay().toMillis());
      case Outcome.Retry x -> "retry";
      case Outcome.Terminal x -> "terminal";
    };
  }

  private static String flags(Intent i) {
    List<String> f = new ArrayList<>();
    if (i.held()) {
      f.add("held");
    }
    if (i.resetStartLimit()) {
      f.add("reset");
    }
    if (i.restart()) {
      f.add("restart");
    }
    if (i.redeploy()) {
      f.add("redeploy");
    }
    return String.join(" ", f);
  }
}

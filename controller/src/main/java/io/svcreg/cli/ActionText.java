package io.svcreg.cli;

import io.svcreg.core.Action;

/** One-line descriptions of plan actions, e.g. {@code deploy web 1.0.0 on local}. */
final class ActionText {

  private ActionText() {}

  /** The action as one line: its wire type, the service, and what it needs. */
  static String describe(Action action) {
    String head = action.type() + " " + action.service();
    return switch (action) {
      case Action.AllocateAddress a -> head + " " + a.address() + " in network " + a.network();
      case Action.Deploy d -> head + " " + d.version() + " on " + d.node();
      case Action.Start s -> head + " on " + s.node();
      case Action.Stop s -> head + " on " + s.node();
      case Action.Restart r -> head + " on " + r.node() + " (" + r.reason() + ")";
      case Action.Rollback r ->
          head + " " + r.fromVersion() + " \u2192 " + r.toVersion() + " on " + r.node();
      case Action.Undeploy u -> head + " " + u.version() + " from " + u.node();
      case Action.ReleaseAddress a -> head + " " + a.address() + " in network " + a.network();
    };
  }
}

package io.svcreg.core;

import java.util.List;

/**
 * A set of actions that may run in parallel: every action's prerequisites are in earlier waves.
 * Numbered from 1.
 */
public record Wave(int number, List<Action> actions) {

  public Wave {
    actions = List.copyOf(actions);
  }
}

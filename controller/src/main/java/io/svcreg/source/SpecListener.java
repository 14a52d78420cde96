package io.svcreg.source;

/** Receives the desired state each time the spec directory's content changes. */
@FunctionalInterface
public interface SpecListener {

  /**
   * Called with the new desired state and what changed; calls come one at a time, in order, from
   * the source's own thread (the first one from {@link SpecSource#start}'s caller).
   */
  void onChange(SpecUpdate update);
}

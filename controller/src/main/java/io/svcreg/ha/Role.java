package io.svcreg.ha;

/** Who leads the group, as one member sees it. */
public sealed interface Role {

  /** This member leads; its writes go through {@code fence}. */
  record Leading(Fence fence) implements Role {

    /** The leadership key's create revision. */
    public long epoch() {
      return fence.epoch();
    }
  }

  /** Another member leads: {@code leader} is the address it campaigned with. */
  record Following(String leader, long epoch) implements Role {}

  /** No leader known: the election is open, or this member cannot reach etcd. */
  record Electing() implements Role {}
}

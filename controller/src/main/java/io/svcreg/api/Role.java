package io.svcreg.api;

/** What a token may do: {@code read} state and events, or also change things ({@code admin}). */
public enum Role {
  READ("read"),
  ADMIN("admin");

  private final String wireName;

  Role(String wireName) {
    this.wireName = wireName;
  }

  /** The name on the wire and in the token file name. */
  public String wireName() {
    return wireName;
  }
}

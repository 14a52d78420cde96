package io.svcreg.api;

/** What a token may do: {@code read} state and events, or also change things ({@code admin}). */
enum Role {
  READ("read"),
  ADMIN("admin");

  private final String wireName;

  Role(String wireName) {
    this.wireName = wireName;
  }

  /** The name on the wire and in the token file name. */
  String wireName() {
    return wireName;
  }
}

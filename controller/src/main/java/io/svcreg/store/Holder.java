package io.svcreg.store;

/**
 * One persisted entity as a JSON string (the project's mapper), as stores written before {@link
 * Utf8Holder} hold them; still read, and updated in place. A mutable holder is stored alone when
 * its entity changes; JSON keeps the store readable across record changes and keeps immutable JDK
 * collections and {@code Optional} out of EclipseStore's object graph.
 */
final class Holder {

  String json;

  Holder(String json) {
    this.json = json;
  }
}

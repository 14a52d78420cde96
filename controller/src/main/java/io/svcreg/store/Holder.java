package io.svcreg.store;

/**
 * One persisted entity as JSON (the project's mapper). A mutable holder is stored alone when its
 * entity changes; JSON keeps the store readable across record changes and keeps immutable JDK
 * collections and {@code Optional} out of EclipseStore's object graph.
 */
final class Holder {

  String json;

  Holder(String json) {
    this.json = json;
  }
}

package io.svcreg.store;

/**
 * One persisted entity as UTF-8 JSON (the project's mapper), as commits write it. EclipseStore
 * keeps a {@code String} as two bytes per character and rebuilds it on load; bytes are half the
 * data to read and are parsed directly. A mutable holder is stored alone when its entity changes.
 * Entities written before are {@link Holder}s, read and updated as they are.
 */
final class Utf8Holder {

  byte[] json;

  Utf8Holder(byte[] json) {
    this.json = json;
  }
}

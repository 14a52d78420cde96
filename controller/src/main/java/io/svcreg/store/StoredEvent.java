package io.svcreg.store;

/** One persisted journal event; never changed once stored. */
final class StoredEvent {

  long revision;
  long epochSecond;
  int nano;
  String type;
  String key;
  String data;

  StoredEvent(long revision, long epochSecond, int nano, String type, String key, String data) {
    this.revision = revision;
    this.epochSecond = epochSecond;
    this.nano = nano;
    this.type = type;
    this.key = key;
    this.data = data;
  }
}

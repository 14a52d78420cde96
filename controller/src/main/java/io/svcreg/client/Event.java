package io.svcreg.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** One pushed event, as the server sent it: {@code {"type": "event", "event": ..., ...}}. */
public record Event(ObjectNode json) {

  /** The event name, e.g. {@code service_state_changed}. */
  public String event() {
    return json.path("event").asText("");
  }

  /** The journal revision of the event. */
  public long revision() {
    return json.path("revision").asLong(-1);
  }

  /** The commit time as ISO-8601 text, or "" when absent. */
  public String time() {
    return json.path("time").asText("");
  }

  /** The resource key, e.g. {@code service/api}, or "" when the event has none. */
  public String key() {
    return json.path("key").asText("");
  }

  /** The event's data object (a missing node when absent). */
  public JsonNode data() {
    return json.path("data");
  }
}

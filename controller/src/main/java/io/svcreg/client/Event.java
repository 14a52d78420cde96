package io.svcreg.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * One pushed event, as the server sent it: {@code {"type": "event", "event": ..., ...}}. The events
 * of an {@code events} message (several events of one revision) are each in that form too: the
 * message's entry with {@code "type": "event"} in front, exactly as a single event would come.
 */
public record Event(ObjectNode json) {

  /**
   * The events of an {@code events} message ({@code {"type": "events", "revision": R, "events":
   * [...]}}), in order; entries that are not objects are left out.
   */
  static List<Event> of(JsonNode message) {
    List<Event> events = new ArrayList<>();
    for (JsonNode entry : message.path("events")) {
      if (entry instanceof ObjectNode o) {
        ObjectNode json = o.objectNode();
        json.put("type", "event");
        o.properties().forEach(f -> json.set(f.getKey(), f.getValue()));
        events.add(new Event(json));
      }
    }
    return events;
  }

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

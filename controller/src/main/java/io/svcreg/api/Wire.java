package io.svcreg.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.RawValue;
import io.svcreg.core.SvcregException;
import io.svcreg.schema.Json;
import io.svcreg.store.Event;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;

/** The JSON of protocol v1 messages: responses, errors and events. */
final class Wire {

  private static final ObjectMapper MAPPER = Json.mapper();

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private Wire() {}

  /** The project's JSON mapper (records as in the snapshot files). */
  static ObjectMapper mapper() {
    return MAPPER;
  }

  /** A time as the protocol writes it: UTC, milliseconds. */
  static String time(Instant t) {
    return TIME.format(t);
  }

  /** An event as pushed: type, event, revision, time, key, data (the journal's JSON as stored). */
  static String event(Event e) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("type", "event");
    fill(n, e);
    return write(n);
  }

  /**
   * The events of one revision as pushed: one {@link #event} message for a single event, else one
   * {@code events} message, {@code {"type": "events", "revision": R, "events": [...]}}, with each
   * event as {@link #listed} (so a client never gets part of a revision).
   */
  static String revision(List<Event> events) {
    if (events.size() == 1) {
      return event(events.getFirst());
    }
    ObjectNode n = MAPPER.createObjectNode();
    n.put("type", "events");
    n.put("revision", events.getFirst().revision());
    ArrayNode list = n.putArray("events");
    for (Event e : events) {
      list.add(listed(e));
    }
    return write(n);
  }

  /** An event as {@code list_events} returns it: as pushed, without {@code type}. */
  static ObjectNode listed(Event e) {
    ObjectNode n = MAPPER.createObjectNode();
    fill(n, e);
    return n;
  }

  private static void fill(ObjectNode n, Event e) {
    n.put("event", e.type());
    n.put("revision", e.revision());
    n.put("time", time(e.time()));
    n.put("key", e.key());
    n.putRawValue("data", new RawValue(e.dataJson()));
  }

  /** A successful response. */
  static String response(String id, JsonNode data) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("id", id);
    n.put("type", "response");
    n.set("data", data);
    return write(n);
  }

  /** An error response ({@code id} null when the request's id could not be read). */
  static String error(String id, String code, String message, Map<String, Object> details) {
    ObjectNode n = MAPPER.createObjectNode();
    if (id == null) {
      n.putNull("id");
    } else {
      n.put("id", id);
    }
    n.put("type", "response");
    ObjectNode err = n.putObject("error");
    err.put("code", code);
    err.put("message", message);
    if (!details.isEmpty()) {
      err.set("details", MAPPER.valueToTree(details));
    }
    return write(n);
  }

  /** A JSON text. */
  static String write(JsonNode n) {
    try {
      return MAPPER.writeValueAsString(n);
    } catch (JsonProcessingException e) {
      throw new SvcregException("cannot write a message as JSON: " + e.getOriginalMessage(), e);
    }
  }
}

package io.svcreg.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.svcreg.client.Event;

/** One line per event for {@code watch}: time, revision, event, key and a short summary. */
final class EventText {

  private static final int MAX_SUMMARY = 120;

  private EventText() {}

  /** The event as one line of text (no line break). */
  static String line(Event e) {
    String key = e.key().isEmpty() ? "-" : e.key();
    return String.format(
            "%-24s %7d  %-24s %-22s %s", e.time(), e.revision(), e.event(), key, summary(e))
        .stripTrailing();
  }

  /** What happened, in a few words. */
  static String summary(Event e) {
    JsonNode d = e.data();
    String s =
        "published".equals(d.path("source").asText())
            ? published(e.event(), d)
            : switch (e.event()) {
              case "registry_loaded" ->
                  d.path("services").size()
                      + " services, "
                      + d.path("networks").size()
                      + " networks";
              case "service_state_changed" ->
                  d.path("from").asText("?")
                      + " → "
                      + d.path("to").asText("?")
                      + (d.hasNonNull("message") ? ": " + d.path("message").asText() : "");
              case "deployment_progress" ->
                  join(d, "phase", "version")
                      + (d.has("message") ? ": " + d.path("message").asText() : "");
              case "health_check_result" ->
                  d.path("state").asText("?") + firstLine(d.path("output").asText(""));
              case "endpoint_updated" -> join(d, "address", "network", "endpoints");
              case "service_registered" ->
                  "version "
                      + d.path("version").asText("?")
                      + ", generation "
                      + d.path("generation");
              case "spec_error" ->
                  d.path("file").asText("?")
                      + ":"
                      + d.path("line").asText("?")
                      + ":"
                      + d.path("column").asText("?")
                      + ": "
                      + (d.path("path").asText("").isEmpty() ? "" : d.path("path").asText() + ": ")
                      + d.path("message").asText("");
              case "network_topology_changed" -> d.path("change").asText(compact(d));
              case "reconcile_diff" -> diff(d);
              default -> compact(d);
            };
    s = s.replaceAll("\\s*\\R\\s*", " ");
    return s.length() > MAX_SUMMARY ? s.substring(0, MAX_SUMMARY - 1) + "…" : s;
  }

  /** A registry entry's event: its APIs and lease, or why it went. */
  private static String published(String event, JsonNode d) {
    String process = d.hasNonNull("process") ? "process " + d.path("process").asText() + ", " : "";
    if (event.equals("service_removed")) {
      return process + d.path("reason").asText("removed");
    }
    StringBuilder apis = new StringBuilder();
    for (JsonNode a : d.path("apis")) {
      apis.append(apis.isEmpty() ? "" : " ")
          .append(a.path("name").asText("?"))
          .append('=')
          .append(a.path("address").asText("?"))
          .append(':')
          .append(a.path("port").asText("?"))
          .append('/')
          .append(a.path("protocol").asText("?"));
    }
    return process
        + apis
        + ", lease "
        + d.path("ttl").asText("?")
        + (d.hasNonNull("replacedProcess")
            ? " (replaced process " + d.path("replacedProcess").asText() + ")"
            : "");
  }

  private static String diff(JsonNode d) {
    StringBuilder b = new StringBuilder(d.path("change").asText("change"));
    for (JsonNode f : d.path("fields")) {
      if (f.isTextual()) {
        b.append(' ').append(f.asText());
      } else {
        b.append(' ')
            .append(f.path("field").asText(f.path("path").asText("?")))
            .append(": ")
            .append(f.path("old").asText("-"))
            .append(" → ")
            .append(f.path("new").asText("-"));
      }
    }
    return b.toString();
  }

  private static String join(JsonNode d, String... fields) {
    StringBuilder b = new StringBuilder();
    for (String f : fields) {
      if (d.hasNonNull(f)) {
        b.append(b.isEmpty() ? "" : " ")
            .append(d.get(f).isValueNode() ? d.get(f).asText() : d.get(f));
      }
    }
    return b.isEmpty() ? compact(d) : b.toString();
  }

  private static String firstLine(String output) {
    String line = output.strip().lines().findFirst().orElse("");
    return line.isEmpty() ? "" : ": " + line;
  }

  /** The data as compact JSON, without the {@code service} field the key already names. */
  private static String compact(JsonNode d) {
    if (d instanceof ObjectNode o && o.has("service")) {
      ObjectNode copy = o.deepCopy();
      copy.remove("service");
      return copy.toString();
    }
    return d.isMissingNode() ? "" : d.toString();
  }
}

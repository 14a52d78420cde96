package io.svcreg.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.svcreg.core.JsonErrors;
import io.svcreg.core.SvcregException;
import io.svcreg.schema.Json;
import java.lang.reflect.RecordComponent;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A {@link Transaction} as a JSON document and back, as a leader replicates it and its followers
 * apply it: {@code {"ops":[{"op":"putService","service":{…}},…],
 * "events":[{"type":…,"key":…,"dataJson":"{…}"},…],"time":"…"}}, ops and events in order, each op
 * named after its kind with its fields, an event's data kept as the string it was written as, and
 * the time its leader committed it, if it has one.
 */
public final class TransactionCodec {

  /** Every op kind by its name in documents ({@code PutService} is {@code putService}). */
  private static final Map<String, Class<? extends Transaction.Op>> KINDS = kinds();

  private static final Set<String> FIELDS = Set.of("ops", "events", "time");

  private TransactionCodec() {}

  private static Map<String, Class<? extends Transaction.Op>> kinds() {
    Map<String, Class<? extends Transaction.Op>> kinds = new LinkedHashMap<>();
    for (Class<?> c : Transaction.Op.class.getPermittedSubclasses()) {
      kinds.put(kind(c), c.asSubclass(Transaction.Op.class));
    }
    return Map.copyOf(kinds);
  }

  private static String kind(Class<?> op) {
    String name = op.getSimpleName();
    return Character.toLowerCase(name.charAt(0)) + name.substring(1);
  }

  /** The transaction as a JSON document. */
  public static String toJson(Transaction tx) {
    ObjectNode doc = Json.mapper().createObjectNode();
    ArrayNode ops = doc.putArray("ops");
    for (Transaction.Op op : tx.ops()) {
      ObjectNode n = ops.addObject().put("op", kind(op.getClass()));
      n.setAll((ObjectNode) Json.mapper().valueToTree(op));
    }
    doc.set("events", Json.mapper().valueToTree(tx.events()));
    tx.time().ifPresent(t -> doc.put("time", t.toString()));
    try {
      return Json.mapper().writeValueAsString(doc);
    } catch (JsonProcessingException e) {
      throw new SvcregException("cannot write a transaction as JSON: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * The transaction of a document {@link #toJson} wrote; a malformed one is refused with a {@link
   * SvcregException} that says where and what is wrong.
   */
  public static Transaction fromJson(String json) {
    JsonNode doc;
    try {
      doc = Json.mapper().readTree(json);
    } catch (JsonProcessingException e) {
      throw malformed(JsonErrors.describe(e), e);
    }
    if (doc == null || !doc.isObject()) {
      throw malformed("the document is not a JSON object", null);
    }
    for (Iterator<String> names = doc.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        throw malformed("unknown field '" + name + "'", null);
      }
    }
    Transaction tx = new Transaction();
    JsonNode ops = array(doc, "ops");
    for (int i = 0; i < ops.size(); i++) {
      String where = "ops[" + i + "]";
      JsonNode n = ops.get(i);
      JsonNode kind = n.get("op");
      if (kind == null || !kind.isTextual()) {
        throw malformed(where + ": 'op' is missing or not a string", null);
      }
      Class<? extends Transaction.Op> type = KINDS.get(kind.asText());
      if (type == null) {
        throw malformed(where + ": unknown op '" + kind.asText() + "'", null);
      }
      ObjectNode fields = ((ObjectNode) n).deepCopy();
      fields.remove("op");
      add(tx, decode(fields, type, where + " (" + kind.asText() + ")"), where);
    }
    JsonNode events = array(doc, "events");
    for (int i = 0; i < events.size(); i++) {
      String where = "events[" + i + "]";
      Transaction.NewEvent e = decode(events.get(i), Transaction.NewEvent.class, where);
      try {
        if (!Json.mapper().readTree(e.dataJson()).isObject()) {
          throw malformed(where + ": 'dataJson' is not a JSON object", null);
        }
        tx.event(e);
      } catch (JsonProcessingException x) {
        throw malformed(where + ": 'dataJson' is not JSON: " + JsonErrors.describe(x), x);
      } catch (IllegalArgumentException x) {
        throw malformed(where + ": " + x.getMessage(), x);
      }
    }
    JsonNode time = doc.get("time");
    if (time == null) {
      return tx;
    }
    try {
      return tx.at(Instant.parse(time.asText()));
    } catch (DateTimeParseException e) {
      throw malformed("'time' is not an instant like 2026-03-01T12:00:00Z: " + time, e);
    }
  }

  /** The array {@code name} of the document, every element an object. */
  private static JsonNode array(JsonNode doc, String name) {
    JsonNode a = doc.get(name);
    if (a == null || !a.isArray()) {
      throw malformed("'" + name + "' is missing or not an array", null);
    }
    for (int i = 0; i < a.size(); i++) {
      if (!a.get(i).isObject()) {
        throw malformed(name + "[" + i + "] is not a JSON object", null);
      }
    }
    return a;
  }

  /** Decodes a record, every component of it present. */
  private static <T> T decode(JsonNode fields, Class<T> type, String where) {
    for (RecordComponent c : type.getRecordComponents()) {
      if (!fields.hasNonNull(c.getName())) {
        throw malformed(where + ": '" + c.getName() + "' is missing", null);
      }
    }
    try {
      return Json.mapper().treeToValue(fields, type);
    } catch (JsonProcessingException e) {
      throw malformed(where + ": " + JsonErrors.describe(e), e);
    }
  }

  /** Adds an op the way any transaction is built, with the same checks. */
  private static void add(Transaction tx, Transaction.Op op, String where) {
    try {
      switch (op) {
        case Transaction.PutService p -> tx.putService(p.service());
        case Transaction.RemoveService r -> tx.removeService(r.name());
        case Transaction.PutNetwork p -> tx.putNetwork(p.network());
        case Transaction.RemoveNetwork r -> tx.removeNetwork(r.name());
        case Transaction.AddLease a -> tx.addLease(a.lease());
        case Transaction.RemoveLease r -> tx.removeLease(r.lease());
        case Transaction.PutInventory p -> tx.putInventory(p.entry());
        case Transaction.RemoveInventory r -> tx.removeInventory(r.entry());
        case Transaction.PutRegistryEntry p -> tx.putRegistryEntry(p.entry());
        case Transaction.RemoveRegistryEntry r -> tx.removeRegistryEntry(r.module());
        case Transaction.PutIntent p -> tx.putIntent(p.intent());
        case Transaction.RemoveIntent r -> tx.removeIntent(r.service());
        case Transaction.PutLedger p -> tx.putLedger(p.ledger());
        case Transaction.RemoveLedger r -> tx.removeLedger(r.service());
        case Transaction.PutMeta p -> tx.putMeta(p.key(), p.value());
        case Transaction.RemoveMeta r -> tx.removeMeta(r.key());
      }
    } catch (NullPointerException e) {
      throw malformed(where + ": a required field is missing or null", e);
    }
  }

  private static SvcregException malformed(String what, Throwable cause) {
    return new SvcregException("malformed transaction document: " + what, cause);
  }
}

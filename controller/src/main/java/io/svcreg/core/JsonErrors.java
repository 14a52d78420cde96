package io.svcreg.core;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;

/** Jackson's parse and mapping errors in plain words, for messages users read. */
public final class JsonErrors {

  private JsonErrors() {}

  /** One line: where in the document and what is wrong, without Jackson's class names. */
  public static String describe(JsonProcessingException e) {
    StringBuilder b = new StringBuilder();
    JsonLocation at = e.getLocation();
    if (at != null && at.getLineNr() > 0) {
      b.append("line ").append(at.getLineNr()).append(", column ").append(at.getColumnNr());
    }
    if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
      b.append(b.isEmpty() ? "" : ", ").append("at ").append(path(m));
    }
    return (b.isEmpty() ? "" : b + ": ") + reason(e);
  }

  /** What is wrong, in plain words for the common cases. */
  private static String reason(JsonProcessingException e) {
    String message = e.getOriginalMessage();
    if (e instanceof UnrecognizedPropertyException u) {
      return "unknown field '" + u.getPropertyName() + "'";
    }
    if (e instanceof ValueInstantiationException && e.getCause() != null) {
      message = e.getCause().getMessage();
    } else if (message.startsWith("Null value for creator property '")) {
      int end = message.indexOf('\'', 33);
      return "required field '" + message.substring(33, end) + "' is missing or null";
    } else if (message.startsWith("No content to map")) {
      return "the document is empty";
    } else if (message.contains("from Array value") || message.contains("from String value")) {
      return "expected a JSON object here";
    }
    int problem = message.indexOf(", problem: ");
    if (problem >= 0) {
      message = message.substring(problem + ", problem: ".length());
    }
    int cut = message.indexOf('\n');
    return cut >= 0 ? message.substring(0, cut) : message;
  }

  private static String path(JsonMappingException m) {
    StringBuilder b = new StringBuilder();
    for (JsonMappingException.Reference r : m.getPath()) {
      if (r.getFieldName() != null) {
        b.append(b.isEmpty() ? "" : ".").append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        b.append('[').append(r.getIndex()).append(']');
      }
    }
    return b.toString();
  }
}

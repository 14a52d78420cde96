package io.svcreg.core;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import io.svcreg.schema.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The JSON snapshot of observed state: what {@code plan --state FILE} reads and {@code get -o json}
 * prints. Pretty-printed, fields in record order, maps sorted by key, absent values left out.
 */
public final class Snapshot {

  private Snapshot() {}

  /** The state as pretty-printed JSON, ending in a newline. */
  public static String toJson(ObservedState state) {
    try {
      return Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(state) + "\n";
    } catch (JsonProcessingException e) {
      throw new SvcregException(
          "cannot write observed state as JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** Parses a snapshot; {@code source} names it in errors (a file name, or e.g. "server"). */
  public static ObservedState fromJson(String json, String source) {
    try {
      ObservedState state = Json.mapper().readValue(json, ObservedState.class);
      if (state == null) {
        throw new SvcregException(
            source + ": not an observed-state snapshot: the document is empty");
      }
      return state;
    } catch (JsonProcessingException e) {
      throw new SvcregException(
          source + ": not a valid observed-state snapshot: " + describe(e), e);
    } catch (NullPointerException | IllegalArgumentException e) {
      throw new SvcregException(
          source + ": not a valid observed-state snapshot: a required field is missing or wrong",
          e);
    }
  }

  /** Parses a snapshot. */
  public static ObservedState fromJson(String json) {
    return fromJson(json, "snapshot");
  }

  /** Reads a snapshot file. */
  public static ObservedState read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new SvcregException(file + ": state file not found", e);
    } catch (IOException e) {
      throw new SvcregException(file + ": cannot read state file: " + e.getMessage(), e);
    }
    return fromJson(text, file.toString());
  }

  /** Writes a snapshot file atomically (a temporary file in the same directory, renamed). */
  public static void write(ObservedState state, Path file) {
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
    try {
      Files.writeString(tmp, toJson(state), StandardCharsets.UTF_8);
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // the original error is the one to report
      }
      throw new SvcregException(file + ": cannot write state file: " + e.getMessage(), e);
    }
  }

  /** One line: where in the document and what is wrong, without Jackson's class names. */
  private static String describe(JsonProcessingException e) {
    StringBuilder b = new StringBuilder();
    JsonLocation at = e.getLocation();
    if (at != null && at.getLineNr() > 0) {
      b.append("line ").append(at.getLineNr()).append(", column ").append(at.getColumnNr());
    }
    if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
      b.append(b.isEmpty() ? "" : ", ").append("at ").append(path(m));
    }
    String message = e.getOriginalMessage();
    int cut = message.indexOf('\n');
    if (cut >= 0) {
      message = message.substring(0, cut);
    }
    return (b.isEmpty() ? "" : b + ": ") + message;
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

package io.svcreg.core;

import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import io.svcreg.schema.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * The JSON snapshot of observed state: what {@code plan --state FILE} reads and {@code get -o json}
 * prints. Pretty-printed, fields in record order, maps sorted by key, absent values left out.
 */
public final class Snapshot {

  /**
   * Reads snapshots with the project's mapper, leniently for hand-written files (a missing list or
   * map is empty) and strictly for values (a missing required field is an error, never a null).
   */
  private static final ObjectReader READER = reader();

  /**
   * The file in a controller's data directory where it keeps a copy of its store's observed state,
   * for {@code svcreg status --data} and {@code get} without a server.
   */
  public static final String FILE = "observed.json";

  private Snapshot() {}

  private static ObjectReader reader() {
    ObjectMapper m = Json.mapper().copy();
    m.configOverride(List.class).setSetterInfo(JsonSetter.Value.forValueNulls(Nulls.AS_EMPTY));
    m.configOverride(Map.class).setSetterInfo(JsonSetter.Value.forValueNulls(Nulls.AS_EMPTY));
    return m.readerFor(ObservedState.class)
        .with(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES);
  }

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
      ObservedState state = READER.readValue(json);
      if (state == null) {
        throw new SvcregException(
            source + ": not an observed-state snapshot: the document is empty");
      }
      return state;
    } catch (JsonProcessingException e) {
      throw new SvcregException(
          source + ": not a valid observed-state snapshot: " + JsonErrors.describe(e), e);
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
}

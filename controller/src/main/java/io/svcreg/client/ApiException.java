package io.svcreg.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import io.svcreg.core.SvcregException;

/**
 * An error response of the server: its protocol error {@code code} (e.g. {@code not_found}), its
 * message and optional {@code details} (a JSON object, or {@link NullNode} when absent).
 */
public final class ApiException extends SvcregException {

  private static final long serialVersionUID = 1L;

  /** The protocol's error code for events older than the retained journal. */
  public static final String REVISION_EXPIRED = "revision_expired";

  private final String code;
  private final transient JsonNode details;

  /** An error with its code, message and details. */
  public ApiException(String code, String message, JsonNode details) {
    super(message);
    this.code = code;
    this.details = details == null ? NullNode.getInstance() : details;
  }

  /** The protocol error code, e.g. {@code not_found}. */
  public String code() {
    return code;
  }

  /** The error's details object, or {@link NullNode} when the server sent none. */
  public JsonNode details() {
    return details;
  }

  /** Builds the exception from a response's {@code error} object. */
  static ApiException of(JsonNode error) {
    return new ApiException(
        error.path("code").asText("internal"),
        error.path("message").asText("(no message)"),
        error.get("details"));
  }
}

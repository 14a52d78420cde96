package io.svcreg.api;

import java.util.Map;

/** A request that gets an error response: the protocol's error code, a message, details. */
final class ApiError extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String code;
  private final transient Map<String, Object> details;

  ApiError(String code, String message) {
    this(code, message, Map.of());
  }

  ApiError(String code, String message, Map<String, Object> details) {
    super(message, null, false, false);
    this.code = code;
    this.details = details;
  }

  /** The error code on the wire ({@code bad_request}, {@code not_found}, ...). */
  String code() {
    return code;
  }

  /** The optional details object (empty: none is sent). */
  Map<String, Object> details() {
    return details;
  }

  static ApiError badRequest(String message) {
    return new ApiError("bad_request", message);
  }

  static ApiError notFound(String message) {
    return new ApiError("not_found", message);
  }
}

package io.svcreg.store;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * A journaled event: its revision (one more than the event before, or, in a replicated store, the
 * revision of its commit, shared by the commit's events; never going back), the commit time, the
 * event type (a wire name of the WebSocket API), the resource key (e.g. {@code Service/web}, or
 * empty) and the event's data as a JSON object.
 */
public record Event(long revision, Instant time, String type, String key, String dataJson) {

  /** A service appeared. */
  public static final String SERVICE_REGISTERED = "service_registered";

  /** A service's spec or status changed. */
  public static final String SERVICE_UPDATED = "service_updated";

  /** A service was removed. */
  public static final String SERVICE_REMOVED = "service_removed";

  /** A service's phase changed. */
  public static final String SERVICE_STATE_CHANGED = "service_state_changed";

  /** A service's resolved endpoints changed. */
  public static final String ENDPOINT_UPDATED = "endpoint_updated";

  /** A deployment made progress. */
  public static final String DEPLOYMENT_PROGRESS = "deployment_progress";

  /** A health check ran. */
  public static final String HEALTH_CHECK_RESULT = "health_check_result";

  /** The controller host's attachment to declared networks changed. */
  public static final String NETWORK_TOPOLOGY_CHANGED = "network_topology_changed";

  /** What a reconcile changed (field, old, new). */
  public static final String RECONCILE_DIFF = "reconcile_diff";

  /** A spec file did not parse or validate. */
  public static final String SPEC_ERROR = "spec_error";

  /** The snapshot sent on subscribe. */
  public static final String REGISTRY_LOADED = "registry_loaded";

  /** Every event type of the WebSocket API (protocol version 1). */
  public static final Set<String> TYPES =
      Set.of(
          SERVICE_REGISTERED,
          SERVICE_UPDATED,
          SERVICE_REMOVED,
          SERVICE_STATE_CHANGED,
          ENDPOINT_UPDATED,
          DEPLOYMENT_PROGRESS,
          HEALTH_CHECK_RESULT,
          NETWORK_TOPOLOGY_CHANGED,
          RECONCILE_DIFF,
          SPEC_ERROR,
          REGISTRY_LOADED);

  public Event {
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(dataJson, "dataJson");
  }
}

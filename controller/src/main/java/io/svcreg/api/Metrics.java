package io.svcreg.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.svcreg.loop.WorkQueue;
import io.svcreg.store.Event;
import io.svcreg.store.Store;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The controller's Prometheus metrics: reconciles, the work queue's depth and time in queue,
 * journaled events, deploy durations, and the API's connections and requests.
 */
final class Metrics {

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

  private final Counter events;
  private final Histogram deployDuration;
  private final Gauge connections;
  private final Counter connectionsOpened;
  private final Counter rejected;
  private final Counter requests;
  private final Histogram requestDuration;
  private final Map<String, Instant> deploying = new ConcurrentHashMap<>();

  Metrics(Store store, WorkQueue<?> queue) {
    CounterWithCallback.builder()
        .name("svcreg_reconciles_total")
        .help("Reconciles run since the controller started")
        .callback(cb -> cb.call(queue.reconciles()))
        .register(registry);
    GaugeWithCallback.builder()
        .name("svcreg_reconcile_queue_depth")
        .help("Keys waiting in the reconcile queue")
        .callback(cb -> cb.call(queue.depth()))
        .register(registry);
    Histogram wait =
        Histogram.builder()
            .name("svcreg_reconcile_queue_wait_seconds")
            .help("How long a key waited in the reconcile queue before its reconcile started")
            .classicOnly()
            .classicUpperBounds(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60)
            .register(registry);
    queue.observeWait(nanos -> wait.observe(nanos / 1e9));
    GaugeWithCallback.builder()
        .name("svcreg_store_revision")
        .help("Revision of the last journaled event")
        .callback(cb -> cb.call(store.lastRevision()))
        .register(registry);
    events =
        Counter.builder()
            .name("svcreg_events_total")
            .help("Events journaled since the controller started, by event name")
            .labelNames("event")
            .register(registry);
    deployDuration =
        Histogram.builder()
            .name("svcreg_deploy_duration_seconds")
            .help("Package installs, from the deployment_progress install event to installed")
            .classicOnly()
            .classicUpperBounds(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
            .register(registry);
    connections =
        Gauge.builder()
            .name("svcreg_api_connections")
            .help("Open WebSocket connections")
            .register(registry);
    connectionsOpened =
        Counter.builder()
            .name("svcreg_api_connections_opened_total")
            .help("WebSocket connections accepted")
            .register(registry);
    rejected =
        Counter.builder()
            .name("svcreg_api_rejected_total")
            .help("Connections or messages refused, by reason")
            .labelNames("reason")
            .register(registry);
    requests =
        Counter.builder()
            .name("svcreg_api_requests_total")
            .help("API requests by action and outcome (ok or the error code)")
            .labelNames("action", "outcome")
            .register(registry);
    requestDuration =
        Histogram.builder()
            .name("svcreg_api_request_duration_seconds")
            .help("Time to answer an API request, by action")
            .labelNames("action")
            .classicOnly()
            .classicUpperBounds(0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5)
            .register(registry);
  }

  /** Counts a batch of journaled events and times deploys from their progress events. */
  void onEvents(List<Event> batch) {
    for (Event e : batch) {
      events.labelValues(e.type()).inc();
      if (e.type().equals(Event.DEPLOYMENT_PROGRESS)) {
        String phase = phase(e);
        if (phase.equals("install")) {
          deploying.put(e.key(), e.time());
        } else if (phase.equals("installed")) {
          Instant began = deploying.remove(e.key());
          if (began != null) {
            deployDuration.observe(Duration.between(began, e.time()).toNanos() / 1e9);
          }
        }
      }
    }
  }

  private static String phase(Event e) {
    try {
      JsonNode n = Wire.mapper().readTree(e.dataJson());
      return n.path("phase").asText("");
    } catch (JsonProcessingException x) {
      return "";
    }
  }

  void opened() {
    connections.inc();
    connectionsOpened.inc();
  }

  void closed() {
    connections.dec();
  }

  void rejected(String reason) {
    rejected.labelValues(reason).inc();
  }

  void request(String action, String outcome) {
    requests.labelValues(action, outcome).inc();
  }

  void requestSeconds(String action, double seconds) {
    requestDuration.labelValues(action).observe(seconds);
  }

  /** The text exposition format's content type. */
  String contentType() {
    return PrometheusTextFormatWriter.CONTENT_TYPE;
  }

  /** All metrics in the Prometheus text format. */
  byte[] scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    try {
      writer.write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}

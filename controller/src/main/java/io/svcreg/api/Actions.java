package io.svcreg.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.svcreg.core.IncrementalPlanner;
import io.svcreg.core.ObservedNetwork;
import io.svcreg.core.ObservedService;
import io.svcreg.core.ObservedState;
import io.svcreg.core.Plan;
import io.svcreg.core.Planner;
import io.svcreg.core.SvcregException;
import io.svcreg.schema.Endpoint;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.ParsedFile;
import io.svcreg.schema.Phase;
import io.svcreg.schema.Problem;
import io.svcreg.schema.SpecParser;
import io.svcreg.schema.SpecSet;
import io.svcreg.schema.SpecValidator;
import io.svcreg.source.ApplyResult;
import io.svcreg.source.PackageUploads;
import io.svcreg.source.SpecWriter;
import io.svcreg.store.Event;
import io.svcreg.store.EventsSince;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** The request/response actions of protocol v1 (all but auth and the subscription ones). */
final class Actions {

  /** Every event name a subscription may ask for. */
  static final Set<String> EVENT_NAMES = Event.TYPES;

  /** Actions that change something: admin only. */
  private static final Set<String> MUTATIONS =
      Set.of("service_action", "deploy_package", "apply", "publish", "unpublish");

  /** Every action name, for metrics labels (anything else is counted as "unknown"). */
  private static final Set<String> KNOWN =
      Set.of(
          "auth",
          "server_info",
          "list_services",
          "get_service",
          "list_networks",
          "get_network",
          "list_endpoints",
          "service_action",
          "deploy_package",
          "subscribe",
          "unsubscribe",
          "list_events",
          "plan",
          "apply",
          "publish",
          "discover",
          "unpublish",
          "health");

  private static final int MAX_LIST_EVENTS = 1000;
  private static final int MAX_DOCUMENTS = 10_000;

  private final ApiServer server;

  /** Plans the controller's own desired state (see {@link IncrementalPlanner}). */
  private final IncrementalPlanner ownPlanner = new IncrementalPlanner();

  Actions(ApiServer server) {
    this.server = server;
  }

  /** Whether {@code action} changes something (needs the admin role). */
  static boolean changes(String action) {
    return MUTATIONS.contains(action);
  }

  /** The metrics label of an action name (bounded: unknown names are one label). */
  static String label(String action) {
    return KNOWN.contains(action) ? action : "unknown";
  }

  /** Runs one action for a caller with {@code role}; the response's data. */
  JsonNode handle(String action, ObjectNode params, Role role) {
    if (MUTATIONS.contains(action) && role != Role.ADMIN) {
      throw new ApiError("forbidden", action + " needs the admin role; this connection has read");
    }
    return switch (action) {
      case "server_info" -> serverInfo(role);
      case "list_services" -> listServices();
      case "get_service" -> getService(params);
      case "list_networks" -> listNetworks();
      case "get_network" -> getNetwork(params);
      case "list_endpoints" -> listEndpoints(params);
      case "list_events" -> listEvents(params);
      case "plan" -> plan(params);
      case "apply" -> apply(params);
      case "publish" -> server.registryApi().publish(params);
      case "discover" -> server.registryApi().discover(params);
      case "unpublish" -> server.registryApi().unpublish(params);
      default -> server.extraAction(action, params);
    };
  }

  private JsonNode serverInfo(Role role) {
    ObjectNode d = Wire.mapper().createObjectNode();
    d.put("protocol", 1);
    d.put("version", server.options().version());
    d.put("revision", server.store().lastRevision());
    d.put("oldestRevision", oldest());
    d.put("role", role.wireName());
    d.put("specs", server.specDir().toString());
    server.store().readOnly().ifPresent(why -> d.put("readOnly", why));
    server.cluster().ifPresent(c -> d.set("cluster", Wire.mapper().valueToTree(c)));
    ObjectNode l = d.putObject("limits");
    ApiServer.Options o = server.options();
    l.put("maxMessageBytes", o.maxMessageBytes());
    l.put("maxConnections", o.maxConnections());
    if (o.requestsPerSecond() == Math.rint(o.requestsPerSecond())) {
      l.put("requestsPerSecond", (long) o.requestsPerSecond());
    } else {
      l.put("requestsPerSecond", o.requestsPerSecond());
    }
    l.put("requestBurst", o.requestBurst());
    l.put("outboundQueue", o.outboundQueue());
    return d;
  }

  /** The oldest retained revision (the next one when the journal is empty). */
  long oldest() {
    return ((EventsSince.Expired) server.store().eventsSince(Long.MIN_VALUE)).oldestRetained();
  }

  private JsonNode listServices() {
    ObservedState s = server.store().observed();
    ObjectNode d = Wire.mapper().createObjectNode();
    d.put("revision", s.revision());
    d.set("services", Wire.mapper().valueToTree(s.services()));
    return d;
  }

  private JsonNode getService(ObjectNode params) {
    String name = requiredString(params, "name");
    ObservedService s =
        server
            .store()
            .service(name)
            .orElseThrow(() -> ApiError.notFound("no service named " + name));
    return Wire.mapper().valueToTree(s);
  }

  private JsonNode listNetworks() {
    ObservedState s = server.store().observed();
    ObjectNode d = Wire.mapper().createObjectNode();
    d.put("revision", s.revision());
    d.set("networks", Wire.mapper().valueToTree(s.networks()));
    return d;
  }

  private JsonNode getNetwork(ObjectNode params) {
    String name = requiredString(params, "name");
    for (ObservedNetwork n : server.store().observed().networks()) {
      if (n.metadata().name().equals(name)) {
        return Wire.mapper().valueToTree(n);
      }
    }
    throw ApiError.notFound("no network named " + name);
  }

  private JsonNode listEndpoints(ObjectNode params) {
    Optional<String> only = optionalString(params, "service");
    ObservedState s = server.store().observed();
    if (only.isPresent()
        && s.services().stream().noneMatch(o -> o.metadata().name().equals(only.get()))
        && !server.registryApi().isPublished(only.get())) {
      throw ApiError.notFound("no service named " + only.get());
    }
    ObjectNode d = Wire.mapper().createObjectNode();
    d.put("revision", s.revision());
    ArrayNode list = d.putArray("endpoints");
    for (ObservedService o : s.services()) {
      String name = o.metadata().name();
      if ((only.isPresent() && !only.get().equals(name)) || o.status().address().isEmpty()) {
        continue;
      }
      boolean healthy =
          o.status().phase() == Phase.RUNNING && o.status().health().state() != HealthState.FAILING;
      for (Endpoint e : o.spec().endpoints()) {
        ObjectNode n = list.addObject();
        n.put("service", name);
        n.put("name", e.name());
        n.put("address", o.status().address().get().toString());
        n.put("port", e.port());
        n.put("protocol", e.protocol().wireName());
        n.put("healthy", healthy);
        n.put("source", "deployed");
      }
    }
    server.registryApi().addPublishedEndpoints(list, only);
    return d;
  }

  private JsonNode listEvents(ObjectNode params) {
    long since = params.has("since") ? requiredLong(params, "since") : oldest() - 1;
    int limit = 100;
    if (params.has("limit")) {
      long l = requiredLong(params, "limit");
      if (l < 1 || l > MAX_LIST_EVENTS) {
        throw ApiError.badRequest("\"limit\" must be 1.." + MAX_LIST_EVENTS);
      }
      limit = (int) l;
    }
    Set<String> names = eventNames(params.get("events"));
    EventsSince r = server.store().eventsSince(since);
    if (r instanceof EventsSince.Expired x) {
      throw expired(since, x);
    }
    ObjectNode d = Wire.mapper().createObjectNode();
    d.put("revision", server.store().lastRevision());
    ArrayNode list = d.putArray("events");
    long lastListed = Long.MIN_VALUE;
    for (Event e : ((EventsSince.Events) r).events()) {
      // a revision's events are listed whole: a client pages on with since = the last revision
      if (list.size() >= limit && e.revision() != lastListed) {
        break;
      }
      if (names.isEmpty() || names.contains(e.type())) {
        list.add(Wire.listed(e));
        lastListed = e.revision();
      }
    }
    return d;
  }

  /** Checks a {@code since} before subscribing: {@code revision_expired} when out of range. */
  void checkSince(long since) {
    if (server.store().eventsSince(since) instanceof EventsSince.Expired x) {
      throw expired(since, x);
    }
  }

  /** The {@code revision_expired} error for {@code since}. */
  ApiError expired(long since, EventsSince.Expired x) {
    long last = server.store().lastRevision();
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("oldestRevision", x.oldestRetained());
    details.put("revision", last);
    String why =
        since > last
            ? "revision " + since + " is newer than the last one (" + last + ")"
            : "events after revision "
                + since
                + " are no longer retained (oldest is "
                + x.oldestRetained()
                + ")";
    return new ApiError("revision_expired", why + "; list the state again", details);
  }

  private JsonNode plan(ObjectNode params) {
    SpecSet desired;
    // the Git commit of the controller's spec directory; documents come from elsewhere
    Optional<String> revision = Optional.empty();
    JsonNode docs = params.get("documents");
    if (docs == null || docs.isNull()) {
      ControllerPort.Desired own = server.desired();
      desired = own.specs();
      revision = own.sourceRevision();
    } else {
      if (!docs.isArray()) {
        throw ApiError.badRequest("\"documents\" must be an array of {name, text}");
      }
      if (docs.size() > MAX_DOCUMENTS) {
        throw new ApiError("too_large", "at most " + MAX_DOCUMENTS + " documents per plan");
      }
      List<ParsedFile> files = new ArrayList<>();
      Set<String> seen = new HashSet<>();
      Path specs = server.specDir();
      for (JsonNode d : docs) {
        if (!d.isObject() || !d.path("name").isTextual() || !d.path("text").isTextual()) {
          throw ApiError.badRequest("each document is {\"name\": \"...\", \"text\": \"...\"}");
        }
        String name = d.get("name").asText();
        if (!seen.add(name)) {
          throw ApiError.badRequest("document " + name + " is given twice");
        }
        files.add(SpecParser.parse(name, d.get("text").asText(), baseDir(specs, name)));
      }
      files.sort(java.util.Comparator.comparing(ParsedFile::file));
      desired = SpecValidator.validate(files);
    }
    // the controller's own specs are planned by the incremental planner: a plan asked for again
    // (a GitOps check polling `plan --server`) with the store unchanged decides only what changed
    Plan plan =
        (docs == null || docs.isNull()
                ? ownPlanner.plan(desired, server.store().observed())
                : Planner.plan(desired, server.store().observed()))
            .withSourceRevision(revision);
    return Wire.mapper().valueToTree(plan);
  }

  /** Where a document's relative package paths resolve: its directory below the spec dir. */
  private static Path baseDir(Path specs, String name) {
    try {
      Path rel = Path.of(name).normalize();
      if (!rel.isAbsolute() && !rel.startsWith("..") && rel.getParent() != null) {
        return specs.resolve(rel.getParent());
      }
    } catch (RuntimeException e) {
      // not a path: the spec directory
    }
    return specs;
  }

  private JsonNode apply(ObjectNode params) {
    if (server.highAvailability()) {
      throw new ApiError(
          "unavailable",
          "apply writes the spec directory of one controller, and each member of this"
              + " high-availability group reads its own copy of the specs: commit the change to"
              + " the Git repository the members check out (a dry run: svcreg plan)");
    }
    String text = requiredString(params, "text");
    String name = optionalString(params, "name").orElse(SpecWriter.TEXT_SOURCE);
    try (PackageUploads.Staged staged = PackageUploads.stage(params.get("packages"))) {
      Map<String, Path> packages =
          switch (staged) {
            case PackageUploads.Staged.Ok ok -> ok.packages();
            case PackageUploads.Staged.Refused no -> throw ApiError.badRequest(no.message());
          };
      return applied(SpecWriter.apply(name, text, packages, server.specDir()));
    } catch (IOException e) {
      throw new SvcregException("cannot take the uploaded packages: " + e.getMessage(), e);
    }
  }

  private static JsonNode applied(ApplyResult r) {
    if (!r.ok()) {
      Map<String, Object> details = new LinkedHashMap<>();
      details.put("problems", r.problems());
      Problem first = r.problems().getFirst();
      throw new ApiError(
          "bad_request",
          "nothing applied: "
              + first
              + (r.problems().size() > 1 ? " (and " + (r.problems().size() - 1) + " more)" : ""),
          details);
    }
    ObjectNode d = Wire.mapper().createObjectNode();
    ArrayNode resources = d.putArray("resources");
    for (ApplyResult.Applied a : r.resources()) {
      ObjectNode n = resources.addObject();
      n.put("key", a.key().toString());
      n.put("outcome", a.outcome().wireName());
      n.put("file", a.file().toString());
    }
    ArrayNode written = d.putArray("written");
    r.written().forEach(p -> written.add(p.toString()));
    ArrayNode packages = d.putArray("packages");
    r.packages().forEach(p -> packages.add(p.toString()));
    d.set("problems", Wire.mapper().valueToTree(r.problems()));
    return d;
  }

  /** The event names of a filter ({@code null}: all); unknown names are a bad request. */
  static Set<String> eventNames(JsonNode events) {
    if (events == null || events.isNull()) {
      return Set.of();
    }
    if (!events.isArray()) {
      throw ApiError.badRequest("\"events\" must be an array of event names");
    }
    Set<String> names = new TreeSet<>();
    List<String> unknown = new ArrayList<>();
    for (JsonNode n : events) {
      if (!n.isTextual() || !EVENT_NAMES.contains(n.asText())) {
        unknown.add(n.toString());
      } else {
        names.add(n.asText());
      }
    }
    if (!unknown.isEmpty()) {
      throw ApiError.badRequest(
          "unknown event names " + unknown + "; known: " + new TreeSet<>(EVENT_NAMES));
    }
    return names;
  }

  static String requiredString(ObjectNode params, String field) {
    JsonNode n = params.get(field);
    if (n == null || !n.isTextual() || n.asText().isEmpty()) {
      throw ApiError.badRequest("params." + field + " must be a non-empty string");
    }
    return n.asText();
  }

  static Optional<String> optionalString(ObjectNode params, String field) {
    JsonNode n = params.get(field);
    if (n == null || n.isNull()) {
      return Optional.empty();
    }
    if (!n.isTextual()) {
      throw ApiError.badRequest("params." + field + " must be a string");
    }
    return Optional.of(n.asText());
  }

  static long requiredLong(ObjectNode params, String field) {
    JsonNode n = params.get(field);
    if (n == null || !n.canConvertToExactIntegral() || !n.canConvertToLong()) {
      throw ApiError.badRequest("params." + field + " must be an integer");
    }
    return n.asLong();
  }
}

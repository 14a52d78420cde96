package io.svcreg.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.svcreg.core.ObservedService;
import io.svcreg.registry.Registry;
import io.svcreg.schema.Endpoint;
import io.svcreg.schema.HealthState;
import io.svcreg.schema.Phase;
import io.svcreg.schema.SpecDuration;
import io.svcreg.store.RegistryEntry;
import io.svcreg.store.StoreFollowing;
import io.svcreg.store.StoreReadOnly;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The registry's side of the API: the WebSocket actions {@code publish}, {@code discover}, {@code
 * unpublish}, and the plain HTTP JSON routes under {@code /api/v1} whose bodies are those of the
 * reference registry ({@code moduleID}, {@code processID}, {@code apis} with {@code serviceIDs},
 * {@code serverPort}, {@code protocol}; {@code success}/{@code error}).
 */
final class RegistryApi {

  private static final Logger LOG = System.getLogger(RegistryApi.class.getName());

  private static final Set<String> WS_PUBLISH_FIELDS = Set.of("module", "process", "apis", "ttl");
  private static final Set<String> WS_API_FIELDS =
      Set.of("name", "serviceIDs", "address", "port", "protocol");

  private final ApiServer server;
  private final Registry registry;

  RegistryApi(ApiServer server, Registry registry) {
    this.server = server;
    this.registry = registry;
  }

  // ------------------------------------------------------------------ WebSocket actions

  /** {@code publish} {module, process?, apis: [{name, address, port, protocol}], ttl?}. */
  JsonNode publish(ObjectNode params) {
    unknownFields(params, WS_PUBLISH_FIELDS, "params");
    String module = Actions.requiredString(params, "module");
    Optional<String> process = processOf(params.get("process"), "params.process");
    JsonNode apis = params.get("apis");
    if (apis == null || !apis.isArray()) {
      throw ApiError.badRequest("params.apis must be an array of {name, address, port, protocol}");
    }
    List<RegistryEntry.Api> list = new ArrayList<>();
    for (int i = 0; i < apis.size(); i++) {
      JsonNode a = apis.get(i);
      String where = "params.apis[" + i + "]";
      if (!a.isObject()) {
        throw ApiError.badRequest(where + " must be an object {name, address, port, protocol}");
      }
      unknownFields((ObjectNode) a, WS_API_FIELDS, where);
      String name = text(a, "name", where);
      List<String> ids = a.has("serviceIDs") ? strings(a.get("serviceIDs"), where) : List.of(name);
      list.add(
          new RegistryEntry.Api(
              name, ids, text(a, "address", where), port(a, "port", where), protocolOf(a, where)));
    }
    Optional<Duration> ttl = ttlOf(params.get("ttl"), "params.ttl");
    Registry.Published p =
        call(() -> registry.publish(new Registry.Publish(module, process, list, ttl)));
    ObjectNode d = Wire.mapper().createObjectNode();
    d.put("module", module);
    if (!p.entry().process().isEmpty()) {
      d.put("process", p.entry().process());
    }
    d.put("outcome", p.outcome().wireName());
    d.put("ttl", new SpecDuration(p.entry().ttlMillis()).toString());
    d.put("expiresAt", Wire.time(p.entry().expiresAt()));
    d.put("revision", p.revision() > 0 ? p.revision() : server.store().lastRevision());
    return d;
  }

  /** {@code discover} {module}: the live endpoints of both worlds, each with its source. */
  JsonNode discover(ObjectNode params) {
    String module = Actions.requiredString(params, "module");
    Found f = find(module);
    if (f.isEmpty()) {
      throw ApiError.notFound("module " + module + " is neither published nor a declared service");
    }
    ObjectNode d = Wire.mapper().createObjectNode();
    d.put("module", module);
    d.put("revision", f.revision());
    ArrayNode list = d.putArray("endpoints");
    f.service().ifPresent(s -> addDeployed(list, s));
    f.published().ifPresent(e -> addPublished(list, e));
    return d;
  }

  /** {@code unpublish} {module, process?}: {module, removed}; an unknown module is no error. */
  JsonNode unpublish(ObjectNode params) {
    String module = Actions.requiredString(params, "module");
    Optional<String> process = processOf(params.get("process"), "params.process");
    boolean removed = call(() -> registry.unpublish(module, process));
    ObjectNode d = Wire.mapper().createObjectNode();
    d.put("module", module);
    d.put("removed", removed);
    d.put("revision", server.store().lastRevision());
    return d;
  }

  /** Adds every live published entry's APIs to a {@code list_endpoints} answer. */
  void addPublishedEndpoints(ArrayNode list, Optional<String> only) {
    for (RegistryEntry e : registry.entries()) {
      if (only.isEmpty() || only.get().equals(e.module())) {
        addPublished(list, e);
      }
    }
  }

  /** Whether a module has a live published entry. */
  boolean isPublished(String module) {
    return registry.entries().stream().anyMatch(e -> e.module().equals(module));
  }

  private record Found(
      long revision, Optional<ObservedService> service, Optional<RegistryEntry> published) {
    boolean isEmpty() {
      return service.isEmpty() && published.isEmpty();
    }
  }

  private Found find(String module) {
    long revision = server.store().lastRevision();
    Optional<ObservedService> s = server.store().service(module);
    Optional<RegistryEntry> e = registry.discover(module);
    return new Found(revision, s, e);
  }

  private static boolean healthy(ObservedService o) {
    return o.status().phase() == Phase.RUNNING
        && o.status().health().state() != HealthState.FAILING;
  }

  private static void addDeployed(ArrayNode list, ObservedService o) {
    if (o.status().address().isEmpty() || o.status().phase() != Phase.RUNNING) {
      return;
    }
    boolean healthy = healthy(o);
    for (Endpoint e : o.spec().endpoints()) {
      ObjectNode n = list.addObject();
      n.put("service", o.metadata().name());
      n.put("name", e.name());
      n.put("address", o.status().address().get().toString());
      n.put("port", e.port());
      n.put("protocol", e.protocol().wireName());
      n.put("healthy", healthy);
      n.put("source", "deployed");
    }
  }

  private static void addPublished(ArrayNode list, RegistryEntry e) {
    for (RegistryEntry.Api a : e.apis()) {
      ObjectNode n = list.addObject();
      n.put("service", e.module());
      n.put("name", a.name());
      n.put("address", a.address());
      n.put("port", a.port());
      n.put("protocol", a.protocol());
      n.put("healthy", true);
      n.put("source", "published");
      if (!e.process().isEmpty()) {
        n.put("process", e.process());
      }
      ArrayNode ids = n.putArray("serviceIDs");
      a.serviceIDs().forEach(ids::add);
      n.put("expiresAt", Wire.time(e.expiresAt()));
    }
  }

  // ------------------------------------------------------------------ HTTP routes

  /** Adds {@code /api/v1/publish|discover|unpublish|health} to the server's routing. */
  void routes(HttpRules r) {
    r.post(
            "/api/v1/publish",
            (req, res) -> http(req, res, Role.ADMIN, "publish", this::httpPublish))
        .get(
            "/api/v1/discover/{module}",
            (req, res) -> http(req, res, Role.READ, "discover", this::httpDiscover))
        .delete(
            "/api/v1/unpublish/{module}",
            (req, res) -> http(req, res, Role.ADMIN, "unpublish", this::httpUnpublish))
        .get("/api/v1/health", (req, res) -> http(req, res, Role.READ, "health", this::httpHealth));
  }

  /** An HTTP answer: a status and a JSON body. */
  private record Answer(Status status, JsonNode body) {}

  @FunctionalInterface
  private interface Route {
    Answer handle(ServerRequest req) throws IOException;
  }

  private void http(ServerRequest req, ServerResponse res, Role needed, String label, Route route) {
    long started = System.nanoTime();
    Answer a;
    String outcome = "ok";
    try {
      Optional<UnixSocket> unix = server.unixSocketOf(req.remotePeer().address());
      Optional<Role> role = unix.isPresent() ? Optional.of(unix.get().role()) : bearer(req);
      if (role.isEmpty()) {
        res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
        throw new ApiError(
            "unauthorized",
            req.headers().contains(HeaderNames.AUTHORIZATION)
                ? "the bearer token is not valid"
                : "no token: send Authorization: Bearer TOKEN (tokens/admin.token or"
                    + " tokens/read.token in the data directory)");
      }
      if (needed == Role.ADMIN && role.get() != Role.ADMIN) {
        throw new ApiError(
            "forbidden",
            label
                + " needs the admin role; "
                + (unix.isPresent() ? "this socket gives read" : "this token has read"));
      }
      if (!server.rateLimits().tryTake(role.get())) {
        res.header(HeaderNames.RETRY_AFTER, "1");
        throw new ApiError("rate_limited", server.rateLimits().refusal(role.get()));
      }
      a = route.handle(req);
    } catch (ApiError e) {
      outcome = e.code();
      a = new Answer(status(e.code()), failure(e.code(), e.getMessage()));
    } catch (StoreFollowing e) {
      // a standby: the client is sent to the leader (307 keeps the method and the body)
      outcome = "not_leader";
      ObjectNode body = failure(outcome, e.getMessage());
      e.leader().ifPresent(l -> body.put("leader", l));
      a =
          new Answer(
              e.leader().isPresent() ? Status.TEMPORARY_REDIRECT_307 : status(outcome), body);
      e.leader()
          .ifPresent(l -> res.header(HeaderNames.LOCATION, httpsOrigin(l) + pathAndQuery(req)));
    } catch (StoreReadOnly e) {
      outcome = "unavailable";
      a = new Answer(status(outcome), failure(outcome, e.getMessage()));
    } catch (IOException | RuntimeException e) {
      outcome = "internal";
      LOG.log(Level.WARNING, "HTTP " + label + " failed: " + e.getMessage(), e);
      a =
          new Answer(
              Status.INTERNAL_SERVER_ERROR_500,
              failure("internal", "internal error: " + String.valueOf(e.getMessage())));
    }
    server.metrics().request(label, outcome);
    server.metrics().requestSeconds(label, (System.nanoTime() - started) / 1e9);
    res.status(a.status());
    res.header(HeaderNames.CONTENT_TYPE, "application/json");
    res.send(Wire.write(a.body()) + "\n");
  }

  private Optional<Role> bearer(ServerRequest req) {
    if (!req.headers().contains(HeaderNames.AUTHORIZATION)) {
      return Optional.empty();
    }
    String value = req.headers().get(HeaderNames.AUTHORIZATION).get().strip();
    if (!value.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Optional.empty();
    }
    return server.tokens().role(value.substring(7).strip());
  }

  private static Status status(String code) {
    return switch (code) {
      case "bad_request" -> Status.BAD_REQUEST_400;
      case "unauthorized" -> Status.UNAUTHORIZED_401;
      case "forbidden" -> Status.FORBIDDEN_403;
      case "not_found" -> Status.NOT_FOUND_404;
      case "conflict" -> Status.CONFLICT_409;
      case "too_large" -> Status.REQUEST_ENTITY_TOO_LARGE_413;
      case "rate_limited" -> Status.TOO_MANY_REQUESTS_429;
      case "unavailable", "not_leader" -> Status.SERVICE_UNAVAILABLE_503;
      default -> Status.INTERNAL_SERVER_ERROR_500;
    };
  }

  /** The request's raw path, with its raw query when it has one. */
  private static String pathAndQuery(ServerRequest req) {
    String query = req.query().rawValue();
    return req.path().rawPath() + (query.isEmpty() ? "" : "?" + query);
  }

  /** {@code https://HOST:PORT} of a member's API URL ({@code wss://HOST:PORT/v1/ws}). */
  private static String httpsOrigin(String apiUrl) {
    URI u = URI.create(apiUrl);
    return "https://" + u.getRawAuthority();
  }

  private static ObjectNode failure(String code, String message) {
    ObjectNode n = Wire.mapper().createObjectNode();
    n.put("success", false);
    n.put("error", message);
    n.put("code", code);
    return n;
  }

  private Answer httpPublish(ServerRequest req) throws IOException {
    JsonNode body = readBody(req);
    if (!body.isObject()) {
      throw ApiError.badRequest("the body must be a JSON object {moduleID, processID, apis}");
    }
    JsonNode m = body.get("moduleID");
    if (m == null || !m.isTextual() || m.asText().isEmpty()) {
      throw ApiError.badRequest("moduleID must be a non-empty string");
    }
    String module = m.asText();
    Optional<String> process = processOf(body.get("processID"), "processID");
    JsonNode apis = body.get("apis");
    if (apis == null || !apis.isArray()) {
      throw ApiError.badRequest("apis must be an array of {serviceIDs, serverPort, protocol}");
    }
    String peer = peerAddress(req.remotePeer().address());
    List<RegistryEntry.Api> list = new ArrayList<>();
    for (int i = 0; i < apis.size(); i++) {
      JsonNode a = apis.get(i);
      String where = "apis[" + i + "]";
      if (!a.isObject()) {
        throw ApiError.badRequest(where + " must be an object {serviceIDs, serverPort, protocol}");
      }
      List<String> ids = a.has("serviceIDs") ? strings(a.get("serviceIDs"), where) : List.of();
      String name =
          a.has("name") ? text(a, "name", where) : ids.isEmpty() ? "api" + i : ids.getFirst();
      String address = a.has("address") ? text(a, "address", where) : peer;
      list.add(
          new RegistryEntry.Api(
              name, ids, address, port(a, "serverPort", where), protocolOf(a, where)));
    }
    Optional<Duration> ttl = ttlOf(body.get("ttl"), "ttl");
    logUnixWrite(req, "publish", module, process);
    Registry.Published p =
        call(() -> registry.publish(new Registry.Publish(module, process, list, ttl)));
    ObjectNode d = Wire.mapper().createObjectNode();
    d.put("success", true);
    d.put("outcome", p.outcome().wireName());
    d.put("ttl", new SpecDuration(p.entry().ttlMillis()).toString());
    d.put("expiresAt", Wire.time(p.entry().expiresAt()));
    return new Answer(Status.OK_200, d);
  }

  /** Logs a write that came over the Unix-domain socket with its peer's credentials. */
  private void logUnixWrite(
      ServerRequest req, String what, String module, Optional<String> process) {
    SocketAddress remote = req.remotePeer().address();
    server
        .unixSocketOf(remote)
        .ifPresent(
            u ->
                LOG.log(
                    Level.INFO,
                    "unix socket: "
                        + what
                        + " "
                        + module
                        + process.map(p -> " (processID " + p + ")").orElse("")
                        + " by "
                        + u.peer(remote).map(String::valueOf).orElse("an unknown peer")));
  }

  private Answer httpDiscover(ServerRequest req) {
    String module = req.path().pathParameters().get("module");
    Found f = find(module);
    ArrayNode probe = Wire.mapper().createArrayNode();
    f.service().ifPresent(s -> addDeployed(probe, s));
    f.published().ifPresent(e -> addPublished(probe, e));
    if (probe.isEmpty()) {
      return new Answer(Status.NOT_FOUND_404, failure("not_found", "module not found"));
    }
    ObjectNode d = Wire.mapper().createObjectNode();
    d.put("moduleID", module);
    ArrayNode apis = d.putArray("apis");
    for (JsonNode e : probe) {
      ObjectNode a = apis.addObject();
      ArrayNode ids = a.putArray("serviceIDs");
      if (e.has("serviceIDs")) {
        e.get("serviceIDs").forEach(ids::add);
      } else {
        ids.add(e.get("name").asText());
      }
      a.put("serverPort", e.get("port").asInt());
      a.put("protocol", e.get("protocol").asText());
      a.put("address", e.get("address").asText());
      a.put("name", e.get("name").asText());
      a.put("source", e.get("source").asText());
      if (e.has("process")) {
        String process = e.get("process").asText();
        if (process.matches("[0-9]{1,18}")) {
          a.put("processID", Long.parseLong(process));
        } else {
          a.put("processID", process);
        }
      }
      if (e.has("expiresAt")) {
        a.put("expiresAt", e.get("expiresAt").asText());
      }
    }
    return new Answer(Status.OK_200, d);
  }

  private Answer httpUnpublish(ServerRequest req) {
    String module = req.path().pathParameters().get("module");
    Optional<String> process = req.query().first("processID").asOptional();
    logUnixWrite(req, "unpublish", module, process);
    boolean removed = call(() -> registry.unpublish(module, process));
    ObjectNode d = Wire.mapper().createObjectNode();
    d.put("success", true);
    d.put("removed", removed);
    return new Answer(Status.OK_200, d);
  }

  private Answer httpHealth(ServerRequest req) {
    List<RegistryEntry> live = registry.entries();
    ObjectNode d = Wire.mapper().createObjectNode();
    d.put("status", "healthy");
    d.put("registeredModules", live.size());
    d.put("totalAPIs", live.stream().mapToInt(e -> e.apis().size()).sum());
    Duration up = Duration.between(registry.startedAt(), server.clock().instant());
    d.put("uptime", SpecDuration.ofSeconds(Math.max(0, up.toSeconds())).toString());
    d.put("deployedServices", server.store().observed().services().size());
    return new Answer(Status.OK_200, d);
  }

  private JsonNode readBody(ServerRequest req) throws IOException {
    int max = server.options().maxMessageBytes();
    byte[] bytes;
    try (InputStream in = req.content().inputStream()) {
      bytes = in.readNBytes(max + 1);
    }
    if (bytes.length > max) {
      throw new ApiError("too_large", "the body is larger than " + max + " bytes");
    }
    try {
      JsonNode n = Wire.mapper().readTree(bytes);
      if (n == null) {
        throw ApiError.badRequest("the body is empty; expected a JSON object");
      }
      return n;
    } catch (JsonProcessingException e) {
      throw ApiError.badRequest("malformed JSON: " + e.getOriginalMessage());
    }
  }

  private static String peerAddress(SocketAddress a) {
    if (a instanceof InetSocketAddress i && i.getAddress() != null) {
      String s = i.getAddress().getHostAddress();
      int scope = s.indexOf('%');
      return scope < 0 ? s : s.substring(0, scope);
    }
    return "127.0.0.1";
  }

  // ------------------------------------------------------------------ shared parsing

  private static <T> T call(java.util.function.Supplier<T> c) {
    try {
      return c.get();
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest(e.getMessage());
    }
  }

  private static void unknownFields(ObjectNode o, Set<String> known, String where) {
    for (var it = o.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!known.contains(f)) {
        throw ApiError.badRequest(where + "." + f + " is not a known field; known: " + known);
      }
    }
  }

  private static Optional<String> processOf(JsonNode n, String where) {
    if (n == null || n.isNull()) {
      return Optional.empty();
    }
    if (n.isTextual() && !n.asText().isEmpty()) {
      return Optional.of(n.asText());
    }
    if (n.canConvertToExactIntegral() && n.canConvertToLong()) {
      return Optional.of(Long.toString(n.asLong()));
    }
    throw ApiError.badRequest(where + " must be a string or an integer");
  }

  private static Optional<Duration> ttlOf(JsonNode n, String where) {
    if (n == null || n.isNull()) {
      return Optional.empty();
    }
    if (!n.isTextual()) {
      throw ApiError.badRequest(where + " must be a duration string like 30s or 5m");
    }
    return Optional.of(
        SpecDuration.parse(n.asText())
            .orElseThrow(
                () ->
                    ApiError.badRequest(
                        where + " " + n + ": expected a duration like 30s, 5m or 1h30m"))
            .toDuration());
  }

  private static String text(JsonNode o, String field, String where) {
    JsonNode n = o.get(field);
    if (n == null || !n.isTextual() || n.asText().isEmpty()) {
      throw ApiError.badRequest(where + "." + field + " must be a non-empty string");
    }
    return n.asText();
  }

  private static int port(JsonNode o, String field, String where) {
    JsonNode n = o.get(field);
    if (n == null || !n.canConvertToExactIntegral() || !n.canConvertToInt()) {
      throw ApiError.badRequest(where + "." + field + " must be a port number 1..65535");
    }
    return n.asInt();
  }

  private static String protocolOf(JsonNode o, String where) {
    return text(o, "protocol", where).toLowerCase(java.util.Locale.ROOT);
  }

  private static List<String> strings(JsonNode n, String where) {
    if (!n.isArray()) {
      throw ApiError.badRequest(where + ".serviceIDs must be an array of strings");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode s : n) {
      if (!s.isTextual()) {
        throw ApiError.badRequest(where + ".serviceIDs must be an array of strings");
      }
      out.add(s.asText());
    }
    return out;
  }
}

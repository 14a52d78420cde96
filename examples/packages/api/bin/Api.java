// The quick start's "api" service: a small JSON API for named items, kept in the store service.
// A single-file program (JDK 11+): java "$SERVICE_HOME/bin/Api.java".
//
//   GET    /healthz          200 "ok" (the api itself is up; the body says whether the store is)
//   GET    /items            all items as a JSON object {"id": "value", ...}
//   GET    /items/{id}       the item's value (text), or 404
//   PUT    /items/{id}       store the request body (text) as the item's value
//   DELETE /items/{id}       remove the item
//
// Items live in the store under "<item.prefix><id>"; the store is found through $STORE_ADDR
// (ip:port). When the store cannot be reached, requests get 503 with a message.
// Listens on $SERVICE_IP:$SERVICE_PORT_HTTP; settings in $SERVICE_HOME/config/api.properties.

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;

public class Api {

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private final String storeAddr;
  private final String prefix;
  private final Duration timeout;
  private final HttpClient client;

  Api(String storeAddr, String prefix, Duration timeout) {
    this.storeAddr = storeAddr;
    this.prefix = prefix;
    this.timeout = timeout;
    this.client = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  /** The store answered, or could not be reached (then {@code status} is 0). */
  static final class Reply {
    final int status;
    final String body;

    Reply(int status, String body) {
      this.status = status;
      this.body = body;
    }
  }

  public static void main(String[] args) throws IOException {
    String name = env("SERVICE_NAME", "api");
    String ip = env("SERVICE_IP", "127.0.0.1");
    int port = Integer.parseInt(env("SERVICE_PORT_HTTP", "8080"));
    Properties config = config(env("SERVICE_HOME", "."), "api.properties");
    Api api =
        new Api(
            env("STORE_ADDR", ""),
            config.getProperty("item.prefix", "item."),
            Duration.ofMillis(Long.parseLong(config.getProperty("store.timeout.ms", "2000"))));

    HttpServer server = HttpServer.create(new InetSocketAddress(ip, port), 64);
    server.createContext("/healthz", api::health);
    server.createContext("/items", api::items);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(0)));
    System.out.printf(
        "%s %s listening on http://%s:%d, store at %s%n",
        name,
        env("SERVICE_VERSION", "dev"),
        ip,
        port,
        api.storeAddr.isEmpty() ? "(STORE_ADDR not set)" : api.storeAddr);
  }

  private void health(HttpExchange ex) throws IOException {
    Reply store = call("GET", "/healthz", null);
    respond(ex, 200, "ok\nstore: " + (store.status == 200 ? "up" : "down") + "\n");
  }

  private void items(HttpExchange ex) throws IOException {
    try {
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod();
      if (path.equals("/items") || path.equals("/items/")) {
        if (!method.equals("GET")) {
          respond(ex, 405, "use GET /items, or PUT /items/{id}\n");
          return;
        }
        list(ex);
        return;
      }
      String id = path.substring("/items/".length());
      if (!ID.matcher(id).matches()) {
        respond(ex, 400, "item ids are 1-64 characters of A-Z a-z 0-9 _ -\n");
        return;
      }
      Reply r;
      switch (method) {
        case "GET":
          r = call("GET", "/kv/" + prefix + id, null);
          break;
        case "PUT":
          String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          r = call("PUT", "/kv/" + prefix + id, body);
          break;
        case "DELETE":
          r = call("DELETE", "/kv/" + prefix + id, null);
          break;
        default:
          respond(ex, 405, "use GET, PUT or DELETE on /items/{id}\n");
          return;
      }
      if (r.status == 0) {
        respond(ex, 503, r.body);
      } else if (r.status == 404) {
        respond(ex, 404, "no item " + id + "\n");
      } else if (r.status == 204) {
        ex.sendResponseHeaders(204, -1);
      } else if (method.equals("PUT") && (r.status == 200 || r.status == 201)) {
        respond(ex, r.status, "saved item " + id + "\n");
      } else {
        respond(ex, r.status, r.body);
      }
    } finally {
      ex.close();
    }
  }

  private void list(HttpExchange ex) throws IOException {
    Reply keys = call("GET", "/kv?prefix=" + prefix, null);
    if (keys.status != 200) {
      respond(ex, keys.status == 0 ? 503 : 502, keys.body);
      return;
    }
    StringBuilder json = new StringBuilder("{");
    for (String key : keys.body.split("\n")) {
      if (!key.startsWith(prefix)) {
        continue;
      }
      Reply value = call("GET", "/kv/" + key, null);
      if (value.status == 0) {
        respond(ex, 503, value.body);
        return;
      }
      if (value.status != 200) {
        continue; // removed meanwhile
      }
      if (json.length() > 1) {
        json.append(',');
      }
      json.append(quote(key.substring(prefix.length())))
          .append(':')
          .append(quote(value.body));
    }
    ex.getResponseHeaders().set("Content-Type", "application/json");
    respond(ex, 200, json.append("}\n").toString());
  }

  /** Calls the store; a store that cannot be reached gives status 0 and a message. */
  private Reply call(String method, String path, String body) {
    if (storeAddr.isEmpty()) {
      return new Reply(0, "store unavailable: STORE_ADDR is not set\n");
    }
    HttpRequest.BodyPublisher publisher =
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8);
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://" + storeAddr + path))
            .timeout(timeout)
            .method(method, publisher)
            .build();
    try {
      HttpResponse<String> response =
          client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Reply(response.statusCode(), response.body());
    } catch (IOException e) {
      return new Reply(0, "store unavailable at " + storeAddr + ": " + describe(e) + "\n");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Reply(0, "interrupted while calling the store\n");
    }
  }

  private static String describe(IOException e) {
    if (e instanceof java.net.ConnectException) {
      return "connection refused";
    }
    if (e instanceof java.net.http.HttpTimeoutException) {
      return "timed out";
    }
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null || m.isEmpty() ? "" : " (" + m + ")");
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          b.append("\\\"");
          break;
        case '\\':
          b.append("\\\\");
          break;
        case '\n':
          b.append("\\n");
          break;
        case '\r':
          b.append("\\r");
          break;
        case '\t':
          b.append("\\t");
          break;
        default:
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
      }
    }
    return b.append('"').toString();
  }

  static void respond(HttpExchange ex, int status, String body) throws IOException {
    if (!ex.getResponseHeaders().containsKey("Content-Type")) {
      ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    }
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }

  static Properties config(String home, String file) throws IOException {
    Properties p = new Properties();
    Path path = Paths.get(home, "config", file);
    if (Files.isRegularFile(path)) {
      try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
        p.load(r);
      }
    }
    return p;
  }
}

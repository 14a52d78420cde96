// The quick start's "web" service: a small page listing the items of the api service, with a form
// to add or change one. A single-file program (JDK 11+): java "$SERVICE_HOME/bin/Web.java".
//
//   GET  /healthz   200 "ok"
//   GET  /          the page: every item (fetched from the api), and a form
//   POST /items     form fields id and value: saves the item through the api, then 303 to /
//
// The api is found through $API_ADDR (ip:port); when it cannot be reached, the page says so with
// status 503. Listens on $SERVICE_IP:$SERVICE_PORT_HTTP; settings in
// $SERVICE_HOME/config/web.properties.

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;

public class Web {

  private final String apiAddr;
  private final String title;
  private final Duration timeout;
  private final HttpClient client;

  Web(String apiAddr, String title, Duration timeout) {
    this.apiAddr = apiAddr;
    this.title = title;
    this.timeout = timeout;
    this.client = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  public static void main(String[] args) throws IOException {
    String name = env("SERVICE_NAME", "web");
    String ip = env("SERVICE_IP", "127.0.0.1");
    int port = Integer.parseInt(env("SERVICE_PORT_HTTP", "8080"));
    Properties config = config(env("SERVICE_HOME", "."), "web.properties");
    Web web =
        new Web(
            env("API_ADDR", ""),
            config.getProperty("title", "svcreg quick start"),
            Duration.ofMillis(Long.parseLong(config.getProperty("api.timeout.ms", "2000"))));

    HttpServer server = HttpServer.create(new InetSocketAddress(ip, port), 64);
    server.createContext("/healthz", ex -> respond(ex, 200, "text/plain", "ok\n"));
    server.createContext("/items", web::save);
    server.createContext("/", web::page);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(0)));
    System.out.printf(
        "%s %s listening on http://%s:%d, api at %s%n",
        name,
        env("SERVICE_VERSION", "dev"),
        ip,
        port,
        web.apiAddr.isEmpty() ? "(API_ADDR not set)" : web.apiAddr);
  }

  private void page(HttpExchange ex) throws IOException {
    if (!ex.getRequestURI().getPath().equals("/")) {
      respond(ex, 404, "text/plain", "not found\n");
      return;
    }
    if (!ex.getRequestMethod().equals("GET")) {
      respond(ex, 405, "text/plain", "use GET /\n");
      return;
    }
    int status = 200;
    StringBuilder list = new StringBuilder();
    try {
      HttpResponse<String> r = call("GET", "/items", null);
      if (r.statusCode() != 200) {
        // the api is up but its own dependency is not: pass the 503 on
        status = r.statusCode() == 503 ? 503 : 502;
        list.append("<p class=error>The api answered ")
            .append(r.statusCode())
            .append(": ")
            .append(html(r.body()))
            .append("</p>");
      } else {
        Map<String, String> items;
        try {
          items = parseObject(r.body());
        } catch (IOException e) {
          respond(ex, 502, "text/plain", e.getMessage() + "\n");
          return;
        }
        if (items.isEmpty()) {
          list.append("<p>No items yet.</p>");
        }
        list.append("<ul>");
        for (Map.Entry<String, String> e : items.entrySet()) {
          list.append("<li><b>")
              .append(html(e.getKey()))
              .append("</b>: ")
              .append(html(e.getValue()))
              .append("</li>");
        }
        list.append("</ul>");
      }
    } catch (IOException e) {
      status = 503;
      list.append("<p class=error>").append(html(unavailable(e))).append("</p>");
    }
    String body =
        "<!doctype html>\n<html><head><meta charset=utf-8><title>"
            + html(title)
            + "</title><style>body{font-family:sans-serif;max-width:40em;margin:2em auto}"
            + ".error{color:#b00}</style></head><body>\n<h1>"
            + html(title)
            + "</h1>\n"
            + list
            + "\n<form method=post action=/items>"
            + "<input name=id placeholder=id pattern='[A-Za-z0-9_-]{1,64}' required> "
            + "<input name=value placeholder=value required> <button>Save</button></form>\n"
            + "<p><small>web &rarr; api "
            + html(apiAddr)
            + " &rarr; store</small></p>\n</body></html>\n";
    respond(ex, status, "text/html; charset=utf-8", body);
  }

  private void save(HttpExchange ex) throws IOException {
    if (!ex.getRequestMethod().equals("POST")) {
      respond(ex, 405, "text/plain", "use POST /items with form fields id and value\n");
      return;
    }
    Map<String, String> form =
        parseForm(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
    String id = form.getOrDefault("id", "");
    String value = form.getOrDefault("value", "");
    if (!id.matches("[A-Za-z0-9_-]{1,64}")) {
      respond(ex, 400, "text/plain", "item ids are 1-64 characters of A-Z a-z 0-9 _ -\n");
      return;
    }
    try {
      HttpResponse<String> r = call("PUT", "/items/" + id, value);
      if (r.statusCode() == 200 || r.statusCode() == 201) {
        ex.getResponseHeaders().set("Location", "/");
        respond(ex, 303, "text/plain", "saved " + id + "\n");
      } else {
        respond(ex, 502, "text/plain", "the api answered " + r.statusCode() + ": " + r.body());
      }
    } catch (IOException e) {
      respond(ex, 503, "text/plain", unavailable(e) + "\n");
    }
  }

  private HttpResponse<String> call(String method, String path, String body) throws IOException {
    if (apiAddr.isEmpty()) {
      throw new IOException("API_ADDR is not set");
    }
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://" + apiAddr + path))
            .timeout(timeout)
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .build();
    try {
      return client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private String unavailable(IOException e) {
    return "api unavailable at "
        + (apiAddr.isEmpty() ? "(API_ADDR not set)" : apiAddr)
        + ": "
        + describe(e);
  }

  static String describe(IOException e) {
    if (e instanceof java.net.ConnectException) {
      return "connection refused";
    }
    if (e instanceof java.net.http.HttpTimeoutException) {
      return "timed out";
    }
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null || m.isEmpty() ? "" : " (" + m + ")");
  }

  /** Parses a flat JSON object of string values, as the api writes it. */
  static Map<String, String> parseObject(String json) throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    int[] pos = {skip(json, 0)};
    expect(json, pos, '{');
    if (peek(json, pos) == '}') {
      return out;
    }
    while (true) {
      String key = string(json, pos);
      expect(json, pos, ':');
      out.put(key, string(json, pos));
      char c = peek(json, pos);
      pos[0]++;
      if (c == '}') {
        return out;
      }
      if (c != ',') {
        throw new IOException("unexpected JSON from the api at offset " + (pos[0] - 1));
      }
    }
  }

  private static int skip(String s, int i) {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
    return i;
  }

  private static char peek(String s, int[] pos) throws IOException {
    pos[0] = skip(s, pos[0]);
    if (pos[0] >= s.length()) {
      throw new IOException("truncated JSON from the api");
    }
    return s.charAt(pos[0]);
  }

  private static void expect(String s, int[] pos, char c) throws IOException {
    if (peek(s, pos) != c) {
      throw new IOException("expected '" + c + "' in JSON from the api at offset " + pos[0]);
    }
    pos[0]++;
  }

  private static String string(String s, int[] pos) throws IOException {
    expect(s, pos, '"');
    StringBuilder b = new StringBuilder();
    int i = pos[0];
    while (i < s.length()) {
      char c = s.charAt(i++);
      if (c == '"') {
        pos[0] = i;
        return b.toString();
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      if (i >= s.length()) {
        break;
      }
      char e = s.charAt(i++);
      switch (e) {
        case 'n':
          b.append('\n');
          break;
        case 'r':
          b.append('\r');
          break;
        case 't':
          b.append('\t');
          break;
        case 'b':
          b.append('\b');
          break;
        case 'f':
          b.append('\f');
          break;
        case 'u':
          if (i + 4 > s.length()) {
            throw new IOException("truncated \\u escape in JSON from the api");
          }
          b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
          i += 4;
          break;
        default:
          b.append(e);
      }
    }
    throw new IOException("unterminated string in JSON from the api");
  }

  static Map<String, String> parseForm(String body) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String part : body.split("&")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        out.put(
            URLDecoder.decode(part.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  static String html(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;")
        .replace("'", "&#39;");
  }

  static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
    try {
      ex.getResponseHeaders().set("Content-Type", type);
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    } finally {
      ex.close();
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

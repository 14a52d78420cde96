// The quick start's "store" service: an in-memory key-value store over HTTP.
// A single-file program (JDK 11+): java "$SERVICE_HOME/bin/Store.java".
//
//   GET    /healthz          200 "ok"
//   GET    /kv               the keys, one per line (?prefix=P keeps those starting with P)
//   GET    /kv/{key}         the value, or 404
//   PUT    /kv/{key}         store the request body as the value (201 new, 200 replaced)
//   DELETE /kv/{key}         204, or 404
//
// Listens on $SERVICE_IP:$SERVICE_PORT_HTTP; limits come from $SERVICE_HOME/config/store.properties.

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Properties;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;

public class Store {

  private static final Pattern KEY = Pattern.compile("[A-Za-z0-9._-]{1,128}");

  private final ConcurrentSkipListMap<String, byte[]> data = new ConcurrentSkipListMap<>();
  private final int maxValueBytes;
  private final int maxKeys;

  Store(int maxValueBytes, int maxKeys) {
    this.maxValueBytes = maxValueBytes;
    this.maxKeys = maxKeys;
  }

  public static void main(String[] args) throws IOException {
    String name = env("SERVICE_NAME", "store");
    String ip = env("SERVICE_IP", "127.0.0.1");
    int port = Integer.parseInt(env("SERVICE_PORT_HTTP", "8080"));
    Properties config = config(env("SERVICE_HOME", "."), "store.properties");
    Store store =
        new Store(
            Integer.parseInt(config.getProperty("max.value.bytes", "65536")),
            Integer.parseInt(config.getProperty("max.keys", "10000")));

    HttpServer server = HttpServer.create(new InetSocketAddress(ip, port), 64);
    server.createContext("/healthz", ex -> respond(ex, 200, "ok\n"));
    server.createContext("/kv", store::handle);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(0)));
    System.out.printf(
        "%s %s listening on http://%s:%d (max.value.bytes=%d, max.keys=%d)%n",
        name, env("SERVICE_VERSION", "dev"), ip, port, store.maxValueBytes, store.maxKeys);
  }

  private void handle(HttpExchange ex) throws IOException {
    try {
      URI uri = ex.getRequestURI();
      String path = uri.getPath();
      String method = ex.getRequestMethod();
      if (path.equals("/kv") || path.equals("/kv/")) {
        if (!method.equals("GET")) {
          respond(ex, 405, "use GET /kv to list keys\n");
          return;
        }
        String prefix = query(uri, "prefix");
        StringBuilder keys = new StringBuilder();
        for (String k : data.keySet()) {
          if (k.startsWith(prefix)) {
            keys.append(k).append('\n');
          }
        }
        respond(ex, 200, keys.toString());
        return;
      }
      String key = path.substring("/kv/".length());
      if (!KEY.matcher(key).matches()) {
        respond(ex, 400, "keys are 1-128 characters of A-Z a-z 0-9 . _ -\n");
        return;
      }
      switch (method) {
        case "GET":
          byte[] value = data.get(key);
          if (value == null) {
            respond(ex, 404, "no key " + key + "\n");
          } else {
            respond(ex, 200, value);
          }
          break;
        case "PUT":
          byte[] body = readLimited(ex.getRequestBody(), maxValueBytes);
          if (body == null) {
            respond(ex, 413, "values are at most " + maxValueBytes + " bytes\n");
          } else if (!data.containsKey(key) && data.size() >= maxKeys) {
            respond(ex, 507, "the store holds at most " + maxKeys + " keys\n");
          } else {
            boolean replaced = data.put(key, body) != null;
            respond(ex, replaced ? 200 : 201, "stored " + key + "\n");
          }
          break;
        case "DELETE":
          if (data.remove(key) == null) {
            respond(ex, 404, "no key " + key + "\n");
          } else {
            ex.sendResponseHeaders(204, -1);
          }
          break;
        default:
          respond(ex, 405, "use GET, PUT or DELETE on /kv/{key}\n");
      }
    } finally {
      ex.close();
    }
  }

  /** The request body, or null when it is longer than {@code limit} bytes. */
  private static byte[] readLimited(InputStream in, int limit) throws IOException {
    byte[] buf = new byte[limit + 1];
    int n = 0;
    int r;
    while (n < buf.length && (r = in.read(buf, n, buf.length - n)) > 0) {
      n += r;
    }
    if (n > limit) {
      return null;
    }
    byte[] out = new byte[n];
    System.arraycopy(buf, 0, out, 0, n);
    return out;
  }

  private static String query(URI uri, String name) {
    String q = uri.getRawQuery();
    if (q == null) {
      return "";
    }
    for (String part : q.split("&")) {
      int eq = part.indexOf('=');
      if (eq > 0 && part.substring(0, eq).equals(name)) {
        return URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
      }
    }
    return "";
  }

  static void respond(HttpExchange ex, int status, String body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    respond(ex, status, body.getBytes(StandardCharsets.UTF_8));
  }

  static void respond(HttpExchange ex, int status, byte[] body) throws IOException {
    if (!ex.getResponseHeaders().containsKey("Content-Type")) {
      ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
    }
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
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

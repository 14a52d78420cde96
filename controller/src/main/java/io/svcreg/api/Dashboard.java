package io.svcreg.api;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.ServerResponse;
import io.svcreg.core.SvcregException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The web dashboard at {@code /ui/}: static HTML, CSS and ES modules from the jar ({@code
 * io/svcreg/ui/}), under a Content-Security-Policy that lets the page load nothing from another
 * origin and talk only to its own origin (the WebSocket API). No token is needed to load it: the
 * page asks for one and sends it with the {@code auth} request.
 */
final class Dashboard {

  /** The policy of every file: same origin only, no inline script or style, no framing. */
  static final String CSP =
      "default-src 'self'; connect-src 'self'; script-src 'self'; style-src 'self';"
          + " img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

  /** Where the files are on the class path. */
  private static final String ROOT = "/io/svcreg/ui/";

  /** The names a file may have: one flat directory, no path separators or dots but the last. */
  private static final Pattern NAME = Pattern.compile("[a-z0-9-]+\\.(html|css|js|png|svg)");

  private static final Map<String, String> TYPES =
      Map.of(
          "html", "text/html; charset=UTF-8",
          "css", "text/css; charset=UTF-8",
          "js", "text/javascript; charset=UTF-8",
          "png", "image/png",
          "svg", "image/svg+xml");

  /**
   * The files found so far (they never change while the jar is in use); a name that is not there is
   * looked up again each time, so that requests for made-up names cannot fill this map.
   */
  private final Map<String, byte[]> files = new ConcurrentHashMap<>();

  /** Adds the dashboard's routes. */
  void routes(HttpRules r) {
    r.get(
            "/ui",
            (req, res) -> {
              res.status(Status.MOVED_PERMANENTLY_301);
              res.header(HeaderNames.LOCATION, "/ui/");
              res.send();
            })
        .get("/ui/", (req, res) -> serve("index.html", res))
        .get("/ui/{file}", (req, res) -> serve(req.path().pathParameters().get("file"), res));
  }

  private void serve(String name, ServerResponse res) {
    Matcher m = NAME.matcher(name);
    Optional<byte[]> body =
        m.matches()
            ? Optional.ofNullable(files.computeIfAbsent(name, n -> read(n).orElse(null)))
            : Optional.empty();
    res.header("Content-Security-Policy", CSP);
    res.header("X-Content-Type-Options", "nosniff");
    res.header("Referrer-Policy", "no-referrer");
    res.header(HeaderNames.CACHE_CONTROL, "no-cache");
    if (body.isEmpty()) {
      res.status(Status.NOT_FOUND_404);
      res.header(HeaderNames.CONTENT_TYPE, "text/plain; charset=UTF-8");
      res.send("no such file; the dashboard is at /ui/\n");
      return;
    }
    res.header(HeaderNames.CONTENT_TYPE, TYPES.get(m.group(1)));
    res.send(body.get());
  }

  private static Optional<byte[]> read(String name) {
    try (InputStream in = Dashboard.class.getResourceAsStream(ROOT + name)) {
      return in == null ? Optional.empty() : Optional.of(in.readAllBytes());
    } catch (IOException e) {
      throw new SvcregException("cannot read the dashboard's " + name + ": " + e.getMessage(), e);
    }
  }
}

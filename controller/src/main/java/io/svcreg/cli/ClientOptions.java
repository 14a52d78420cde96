package io.svcreg.cli;

import io.svcreg.client.ClientConfig;
import io.svcreg.core.SvcregException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import picocli.CommandLine.Option;

/**
 * How client commands find the controller: {@code --server}, {@code --ca}, {@code --token}, or
 * {@code SVCREG_SERVER}, {@code SVCREG_CA}, {@code SVCREG_TOKEN}, else the files {@code svcreg
 * serve} writes into its data directory ({@code --data}, default {@code .svcreg}). {@code --server}
 * and {@code SVCREG_SERVER} may list the members of a high-availability group, comma-separated.
 */
final class ClientOptions {

  @Option(
      names = "--server",
      paramLabel = "URL[,URL...]",
      description =
          "The controller's API, wss://HOST:PORT/v1/ws, or the APIs of the members of a"
              + " high-availability group, comma-separated: tried in order until one answers, the"
              + " next one when a connection drops; writes go to the leader (default:"
              + " $SVCREG_SERVER, else the URL in {data}/api.url that a running `svcreg serve`"
              + " writes). publish, discover and unpublish also take unix:PATH, the controller's"
              + " --unix-socket (no TLS, no token).")
  String server;

  @Option(
      names = "--ca",
      paramLabel = "FILE",
      description =
          "PEM certificate of the CA that signed the server's certificate (default: $SVCREG_CA,"
              + " else {data}/tls/ca.crt when it exists, else the system trust store).")
  Path ca;

  @Option(
      names = "--token",
      paramLabel = "FILE",
      description =
          "File holding the bearer token (default: $SVCREG_TOKEN, a file path if such a file"
              + " exists else the token itself; else {data}/tokens/admin.token, else"
              + " {data}/tokens/read.token).")
  Path token;

  @Option(
      names = "--data",
      defaultValue = ".svcreg",
      paramLabel = "DIR",
      description = "The local controller's data directory (default: ${DEFAULT-VALUE}).")
  Path data = Path.of(".svcreg");

  /** The client configuration these options and {@code env} give; one-line errors. */
  ClientConfig config(Map<String, String> env) {
    return resolve(server, ca, token, data, env);
  }

  /** The client configuration for explicit values (null = not given) and the environment. */
  static ClientConfig resolve(
      String server, Path ca, Path token, Path data, Map<String, String> env) {
    List<URI> urls = serverUrls(server, data, env);
    SSLContext ssl;
    String trust;
    String envCa = env.getOrDefault("SVCREG_CA", "");
    Path caFile = ca;
    String caWhat = "--ca";
    if (caFile == null && !envCa.isBlank()) {
      caFile = path(envCa, "SVCREG_CA");
      caWhat = "SVCREG_CA";
    }
    if (caFile == null && Files.isRegularFile(data.resolve("tls/ca.crt"))) {
      caFile = data.resolve("tls/ca.crt");
      caWhat = "the default CA";
    }
    if (caFile != null) {
      if (!Files.isRegularFile(caFile)) {
        throw new SvcregException(caWhat + " " + caFile + ": no such file");
      }
      ssl = ClientConfig.trusting(caFile);
      trust = "the CA " + caFile;
    } else {
      ssl = ClientConfig.systemTrust();
      trust =
          "the system trust store (no --ca, no SVCREG_CA, no " + data.resolve("tls/ca.crt") + ")";
    }
    return ClientConfig.of(urls, ssl, trust, token(token, data, env))
        .withHint("(data dir " + data + ")");
  }

  private static List<URI> serverUrls(String server, Path data, Map<String, String> env) {
    String envServer = env.getOrDefault("SVCREG_SERVER", "");
    if (server != null) {
      return uris(server, "--server");
    }
    if (!envServer.isBlank()) {
      return uris(envServer, "SVCREG_SERVER");
    }
    Path file = data.resolve("api.url");
    if (!Files.isRegularFile(file)) {
      throw new NotRunning(
          "no server given and no "
              + file
              + " (a running `svcreg serve --data "
              + data
              + "` writes it); start the controller, or pass --server wss://HOST:PORT/v1/ws"
              + " (several, comma-separated, for the members of a group) or set SVCREG_SERVER",
          "no " + file + " yet (the controller in " + data + " is not running)");
    }
    return List.of(uri(read(file, "the server URL file").strip(), file.toString()));
  }

  /** The comma-separated URLs of {@code text}, in order ({@code what} names where it is from). */
  private static List<URI> uris(String text, String what) {
    List<URI> urls = new ArrayList<>();
    for (String part : text.split(",", -1)) {
      if (part.isBlank()) {
        throw new SvcregException(
            what
                + ": '"
                + text
                + "' has an empty URL; expected one URL or several, comma-separated, e.g."
                + " wss://host1:9443/v1/ws,wss://host2:9443/v1/ws");
      }
      urls.add(uri(part.strip(), what));
    }
    return urls;
  }

  private static URI uri(String text, String what) {
    try {
      URI u = new URI(text);
      if (u.getPath() == null || u.getPath().isEmpty()) {
        u = u.resolve("/v1/ws");
      }
      return u;
    } catch (URISyntaxException e) {
      throw new SvcregException(
          what + ": '" + text + "' is not a URL; expected e.g. wss://127.0.0.1:9443/v1/ws");
    }
  }

  private static String token(Path token, Path data, Map<String, String> env) {
    if (token != null) {
      if (!Files.isRegularFile(token)) {
        throw new SvcregException("--token " + token + ": no such file (it holds the token)");
      }
      return nonEmpty(read(token, "--token"), "--token " + token);
    }
    String envToken = env.getOrDefault("SVCREG_TOKEN", "");
    if (!envToken.isBlank()) {
      Path p = pathOrNull(envToken.strip());
      if (p != null && Files.isRegularFile(p)) {
        return nonEmpty(read(p, "SVCREG_TOKEN"), "SVCREG_TOKEN file " + p);
      }
      return envToken.strip();
    }
    for (String name : new String[] {"admin.token", "read.token"}) {
      Path p = data.resolve("tokens").resolve(name);
      if (Files.isRegularFile(p) && Files.isReadable(p)) {
        return nonEmpty(read(p, "token"), p.toString());
      }
    }
    throw new SvcregException(
        "no token: pass --token FILE or set SVCREG_TOKEN (a running `svcreg serve --data "
            + data
            + "` writes "
            + data.resolve("tokens/admin.token")
            + ")");
  }

  private static String nonEmpty(String text, String what) {
    String t = text.strip();
    if (t.isEmpty()) {
      throw new SvcregException(what + ": the token file is empty");
    }
    return t;
  }

  private static String read(Path file, String what) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new SvcregException(what + " " + file + ": cannot read: " + e.getMessage(), e);
    }
  }

  private static Path path(String text, String what) {
    Path p = pathOrNull(text);
    if (p == null) {
      throw new SvcregException(what + ": '" + text + "' is not a file path");
    }
    return p;
  }

  private static Path pathOrNull(String text) {
    try {
      return Path.of(text);
    } catch (InvalidPathException e) {
      return null;
    }
  }

  /**
   * No server was given and the data directory has no {@code api.url}: the local controller is not
   * running (yet, or it is restarting). {@link #reason()} says so without the advice.
   */
  static final class NotRunning extends SvcregException {

    private static final long serialVersionUID = 1L;

    private final String reason;

    NotRunning(String message, String reason) {
      super(message);
      this.reason = reason;
    }

    /** What is missing, for a line that adds "retrying in …". */
    String reason() {
      return reason;
    }
  }
}

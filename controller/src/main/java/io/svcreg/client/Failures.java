package io.svcreg.client;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.net.http.WebSocketHandshakeException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import javax.net.ssl.SSLException;

/** Turns the JDK's connection failures into one line that says what to do. */
final class Failures {

  private Failures() {}

  /** Why opening a connection to {@code server} failed. */
  static ConnectionException connect(Throwable failure, URI server, ClientConfig c) {
    Throwable t = unwrap(failure);
    String url = server.toString();
    String hint = c.hint().isEmpty() ? "" : " " + c.hint();
    if (find(t, WebSocketHandshakeException.class) instanceof WebSocketHandshakeException h) {
      int status = h.getResponse().statusCode();
      return switch (status) {
        case 401 ->
            new ConnectionException(
                url
                    + ": the server refused the token (HTTP 401); pass a valid token file with"
                    + " --token FILE or SVCREG_TOKEN (`svcreg serve` writes {data}/tokens/)",
                true,
                t);
        case 503 ->
            new ConnectionException(
                url + ": the server refused the connection (HTTP 503: too many connections)",
                false,
                t);
        case 404 ->
            new ConnectionException(
                url + ": no WebSocket API at this path (HTTP 404); the URL ends in /v1/ws",
                true,
                t);
        default ->
            new ConnectionException(
                url + ": the WebSocket upgrade was refused (HTTP " + status + ")", true, t);
      };
    }
    if (find(t, SSLException.class) != null) {
      if (has(t, CertPathValidatorException.class)
          || text(t).contains("PKIX")
          || text(t).contains("certification path")) {
        return new ConnectionException(
            url
                + ": the server's certificate is not trusted by "
                + c.trustSource()
                + "; pass the CA that signed it with --ca FILE (`svcreg serve` writes"
                + " {data}/tls/ca.crt)",
            true,
            t);
      }
      if (has(t, CertificateException.class)) {
        return new ConnectionException(
            url
                + ": the server's certificate was rejected: "
                + deepest(t)
                + "; connect with a host name it is issued for (e.g. 127.0.0.1 or localhost)",
            true,
            t);
      }
      String failed = url + ": TLS handshake failed: " + deepest(t);
      return new ConnectionException(failed + "; is this a svcreg server?", failed, false, t);
    }
    if (find(t, ConnectException.class) != null) {
      return new ConnectionException(
          "cannot reach " + url + ": connection refused; is `svcreg serve` running?" + hint,
          "cannot reach " + url + ": connection refused",
          false,
          t);
    }
    if (find(t, HttpTimeoutException.class) != null) {
      String noAnswer =
          "cannot reach " + url + ": no answer within " + c.connectTimeout().toSeconds() + " s";
      return new ConnectionException(
          noAnswer + "; is `svcreg serve` running?" + hint, noAnswer, false, t);
    }
    if (t instanceof IOException) {
      String reason = "cannot reach " + url + ": " + deepest(t);
      return new ConnectionException(reason + hint, reason, false, t);
    }
    return new ConnectionException("cannot connect to " + url + ": " + deepest(t), false, t);
  }

  /**
   * Why none of several servers could be reached: each failure's reason, in the order they were
   * tried; permanent when every one is. A single failure is returned as it is.
   */
  static ConnectionException noneAnswered(List<ConnectionException> failures, ClientConfig c) {
    if (failures.size() == 1) {
      return failures.getFirst();
    }
    String reason =
        "none of the "
            + failures.size()
            + " servers answered: "
            + failures.stream().map(ConnectionException::reason).collect(Collectors.joining("; "));
    boolean permanent = failures.stream().allMatch(ConnectionException::permanent);
    String hint = c.hint().isEmpty() ? "" : " " + c.hint();
    return new ConnectionException(reason + hint, reason, permanent, failures.getLast());
  }

  /** The cause of an {@link ExecutionException} or {@link CompletionException}. */
  static Throwable unwrap(Throwable t) {
    Throwable u = t;
    while ((u instanceof CompletionException || u instanceof ExecutionException)
        && u.getCause() != null) {
      u = u.getCause();
    }
    return u;
  }

  /** The message of the innermost cause that has one, on one line. */
  static String deepest(Throwable t) {
    String message = t.getClass().getSimpleName();
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c.getMessage() != null && !c.getMessage().isBlank()) {
        message = c.getMessage();
      }
    }
    return message.replaceAll("\\s*\\R\\s*", " ");
  }

  private static String text(Throwable t) {
    StringBuilder b = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      b.append(c.getMessage()).append('\n');
    }
    return b.toString();
  }

  private static boolean has(Throwable t, Class<? extends Throwable> type) {
    return find(t, type) != null;
  }

  /** The first throwable of {@code type} in the cause chain, or null. */
  private static Throwable find(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return c;
      }
    }
    return null;
  }
}

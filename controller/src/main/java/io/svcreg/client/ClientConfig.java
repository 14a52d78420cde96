package io.svcreg.client;

import io.svcreg.core.SvcregException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * How a {@link SvcregClient} reaches a server, or one of the members of a high-availability group.
 *
 * @param servers the {@code wss://HOST:PORT/v1/ws} URLs, in the order they are tried: one server,
 *     or the members of a group (they share the CA and the tokens); duplicates are dropped
 * @param ssl the TLS context: trusting the server's CA ({@link #trusting}) or the system's
 * @param trustSource what {@code ssl} trusts, for messages (e.g. "the CA .svcreg/tls/ca.crt")
 * @param token the bearer token sent on the upgrade, or "" to send none
 * @param hint appended to "cannot reach" messages, e.g. "(data dir .svcreg)", or ""
 * @param connectTimeout how long opening the connection may take
 * @param requestTimeout how long {@link SvcregClient#call} waits for a response
 * @param reconnectBase the first delay before reconnecting a subscription (doubles up to 5 s)
 * @param failoverWait how long a group may have no leader before the client gives up: a write
 *     answered {@code not_leader} without a leader is sent again for that long, and so is a
 *     subscription resumed on a member that has not caught up yet
 * @param random jitter for reconnect delays
 */
public record ClientConfig(
    List<URI> servers,
    SSLContext ssl,
    String trustSource,
    String token,
    String hint,
    Duration connectTimeout,
    Duration requestTimeout,
    Duration reconnectBase,
    Duration failoverWait,
    Random random) {

  /** The most a reconnect waits. */
  static final Duration RECONNECT_CAP = Duration.ofSeconds(5);

  /** The default {@link #failoverWait}: a group's default leadership TTL. */
  public static final Duration DEFAULT_FAILOVER_WAIT = Duration.ofSeconds(10);

  /** A configuration with default timeouts; {@code server} must be a {@code wss://} URL. */
  public static ClientConfig of(URI server, SSLContext ssl, String trustSource, String token) {
    return of(List.of(server), ssl, trustSource, token);
  }

  /**
   * A configuration with default timeouts for the members of a group, tried in this order; each
   * must be a {@code wss://} URL.
   */
  public static ClientConfig of(
      List<URI> servers, SSLContext ssl, String trustSource, String token) {
    return new ClientConfig(
        servers,
        ssl,
        trustSource,
        token,
        "",
        Duration.ofSeconds(10),
        Duration.ofSeconds(30),
        Duration.ofMillis(100),
        DEFAULT_FAILOVER_WAIT,
        new Random());
  }

  public ClientConfig {
    if (servers.isEmpty()) {
      throw new SvcregException("no server URL given, e.g. wss://127.0.0.1:9443/v1/ws");
    }
    servers.forEach(ClientConfig::checkUrl);
    servers = List.copyOf(new LinkedHashSet<>(servers));
  }

  /** The server tried first. */
  public URI server() {
    return servers.getFirst();
  }

  /** Throws a one-line {@link SvcregException} unless {@code server} is a {@code wss://} URL. */
  static URI checkUrl(URI server) {
    String scheme = server.getScheme() == null ? "" : server.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("wss")) {
      throw new SvcregException(
          server
              + ": not a wss:// URL; the API is served over TLS only, e.g."
              + " wss://127.0.0.1:9443/v1/ws");
    }
    if (server.getHost() == null) {
      throw new SvcregException(server + ": the URL has no host, e.g. wss://127.0.0.1:9443/v1/ws");
    }
    return server;
  }

  /** This configuration with another hint for "cannot reach" messages. */
  public ClientConfig withHint(String newHint) {
    return with(servers, newHint, requestTimeout, reconnectBase, failoverWait, random);
  }

  /** This configuration with another first reconnect delay and jitter source. */
  public ClientConfig withReconnect(Duration base, Random newRandom) {
    return with(servers, hint, requestTimeout, base, failoverWait, newRandom);
  }

  /** This configuration with another request timeout. */
  public ClientConfig withRequestTimeout(Duration timeout) {
    return with(servers, hint, timeout, reconnectBase, failoverWait, random);
  }

  /** This configuration with another {@link #failoverWait}. */
  public ClientConfig withFailoverWait(Duration wait) {
    return with(servers, hint, requestTimeout, reconnectBase, wait, random);
  }

  /** This configuration with other servers, tried in this order. */
  public ClientConfig withServers(List<URI> newServers) {
    return with(newServers, hint, requestTimeout, reconnectBase, failoverWait, random);
  }

  /** This configuration with the TLS context, token and connect timeout, and these values. */
  private ClientConfig with(
      List<URI> newServers,
      String newHint,
      Duration newRequestTimeout,
      Duration newReconnectBase,
      Duration newFailoverWait,
      Random newRandom) {
    return new ClientConfig(
        newServers,
        ssl,
        trustSource,
        token,
        newHint,
        connectTimeout,
        newRequestTimeout,
        newReconnectBase,
        newFailoverWait,
        newRandom);
  }

  /** A TLS context that trusts exactly the certificates in a PEM file (a CA, or a server's). */
  public static SSLContext trusting(Path caPem) {
    try (InputStream in = Files.newInputStream(caPem)) {
      Collection<? extends Certificate> certs =
          CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certs.isEmpty()) {
        throw new SvcregException(caPem + ": no certificate in this file (expected PEM)");
      }
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      int i = 0;
      for (Certificate c : certs) {
        trust.setCertificateEntry("ca-" + i++, c);
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (NoSuchFileException e) {
      throw new SvcregException(caPem + ": CA file not found", e);
    } catch (IOException e) {
      throw new SvcregException(caPem + ": cannot read CA file: " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new SvcregException(
          caPem + ": not a PEM certificate: " + String.valueOf(e.getMessage()).strip(), e);
    }
  }

  /** The JDK's default TLS context (the system trust store). */
  public static SSLContext systemTrust() {
    try {
      return SSLContext.getDefault();
    } catch (GeneralSecurityException e) {
      throw new SvcregException("cannot load the system trust store: " + e.getMessage(), e);
    }
  }
}

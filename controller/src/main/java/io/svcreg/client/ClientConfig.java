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
import java.util.Locale;
import java.util.Random;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * How a {@link SvcregClient} reaches a server.
 *
 * @param server the {@code wss://HOST:PORT/v1/ws} URL
 * @param ssl the TLS context: trusting the server's CA ({@link #trusting}) or the system's
 * @param trustSource what {@code ssl} trusts, for messages (e.g. "the CA .svcreg/tls/ca.crt")
 * @param token the bearer token sent on the upgrade, or "" to send none
 * @param hint appended to "cannot reach" messages, e.g. "(data dir .svcreg)", or ""
 * @param connectTimeout how long opening the connection may take
 * @param requestTimeout how long {@link SvcregClient#call} waits for a response
 * @param reconnectBase the first delay before reconnecting a subscription (doubles up to 5 s)
 * @param random jitter for reconnect delays
 */
public record ClientConfig(
    URI server,
    SSLContext ssl,
    String trustSource,
    String token,
    String hint,
    Duration connectTimeout,
    Duration requestTimeout,
    Duration reconnectBase,
    Random random) {

  /** The most a reconnect waits. */
  static final Duration RECONNECT_CAP = Duration.ofSeconds(5);

  /** A configuration with default timeouts; {@code server} must be a {@code wss://} URL. */
  public static ClientConfig of(URI server, SSLContext ssl, String trustSource, String token) {
    return new ClientConfig(
        server,
        ssl,
        trustSource,
        token,
        "",
        Duration.ofSeconds(10),
        Duration.ofSeconds(30),
        Duration.ofMillis(100),
        new Random());
  }

  public ClientConfig {
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
  }

  /** This configuration with another hint for "cannot reach" messages. */
  public ClientConfig withHint(String newHint) {
    return new ClientConfig(
        server,
        ssl,
        trustSource,
        token,
        newHint,
        connectTimeout,
        requestTimeout,
        reconnectBase,
        random);
  }

  /** This configuration with another first reconnect delay and jitter source. */
  public ClientConfig withReconnect(Duration base, Random newRandom) {
    return new ClientConfig(
        server, ssl, trustSource, token, hint, connectTimeout, requestTimeout, base, newRandom);
  }

  /** This configuration with another request timeout. */
  public ClientConfig withRequestTimeout(Duration timeout) {
    return new ClientConfig(
        server, ssl, trustSource, token, hint, connectTimeout, timeout, reconnectBase, random);
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

package io.svcreg.ha;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.grpc.netty.GrpcSslContexts;
import io.netty.handler.ssl.SslContextBuilder;
import io.svcreg.core.SvcregException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * How a member reaches the group's etcd cluster ({@code serve --etcd} and its options), and how
 * long it waits for it.
 *
 * @param endpoints the client URLs of the etcd members ({@code http://} or {@code https://})
 * @param ca the CA certificate (PEM) that signed the etcd members' certificates ({@code https})
 * @param cert this member's client certificate (PEM), for etcd's {@code --client-cert-auth}
 * @param key the private key (PEM, PKCS#8) of {@code cert}
 * @param user etcd's user name, for etcd's authentication
 * @param passwordFile the file holding that user's password (its first line)
 * @param leaderTtl the leadership lease's TTL: how long a dead leader goes unnoticed
 * @param timeout how long one etcd request may take
 */
public record EtcdOptions(
    List<URI> endpoints,
    Optional<Path> ca,
    Optional<Path> cert,
    Optional<Path> key,
    Optional<String> user,
    Optional<Path> passwordFile,
    Duration leaderTtl,
    Duration timeout) {

  /** The default leadership TTL. */
  public static final Duration DEFAULT_LEADER_TTL = Duration.ofSeconds(10);

  /** The default time one etcd request may take. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  /** Copies the list. */
  public EtcdOptions {
    endpoints = List.copyOf(endpoints);
  }

  /** The endpoints in {@code list} (comma-separated URLs), without TLS or authentication. */
  public static EtcdOptions of(String list) {
    return new EtcdOptions(
        parseEndpoints(list),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        DEFAULT_LEADER_TTL,
        DEFAULT_TIMEOUT);
  }

  /** These options with another leadership TTL. */
  public EtcdOptions withLeaderTtl(Duration ttl) {
    return new EtcdOptions(endpoints, ca, cert, key, user, passwordFile, ttl, timeout);
  }

  /** These options with TLS: {@code ca} to trust, and a client certificate when not empty. */
  public EtcdOptions withTls(Optional<Path> ca, Optional<Path> cert, Optional<Path> key) {
    return new EtcdOptions(endpoints, ca, cert, key, user, passwordFile, leaderTtl, timeout);
  }

  /** These options with etcd's authentication as {@code user}, password in {@code file}. */
  public EtcdOptions withUser(String user, Path file) {
    return new EtcdOptions(
        endpoints, ca, cert, key, Optional.of(user), Optional.of(file), leaderTtl, timeout);
  }

  /**
   * The URLs of a comma-separated list; fails with a message naming the bad one and what is
   * expected.
   */
  public static List<URI> parseEndpoints(String list) {
    List<URI> out = new ArrayList<>();
    for (String part : list.split(",")) {
      String s = part.strip();
      if (s.isEmpty()) {
        continue;
      }
      URI u;
      try {
        u = URI.create(s);
      } catch (IllegalArgumentException e) {
        throw new SvcregException("--etcd " + s + ": not a URL (" + e.getMessage() + ")");
      }
      if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme()))
          || u.getHost() == null
          || u.getPort() < 1) {
        throw new SvcregException(
            "--etcd "
                + s
                + ": expected an etcd client URL like http://127.0.0.1:2379 or"
                + " https://etcd-1:2379 (scheme, host and port)");
      }
      out.add(u);
    }
    if (out.isEmpty()) {
      throw new SvcregException(
          "--etcd: no URL given; expected the etcd client URLs, comma-separated");
    }
    return out;
  }

  /** Checks the combination of options; fails with a message saying what to give. */
  public void check() {
    boolean tls = endpoints.stream().anyMatch(u -> u.getScheme().equals("https"));
    if (cert.isPresent() != key.isPresent()) {
      throw new SvcregException("--etcd-cert and --etcd-key go together; give both or neither");
    }
    if (!tls && (ca.isPresent() || cert.isPresent())) {
      throw new SvcregException(
          "--etcd-ca and --etcd-cert are for https:// endpoints; --etcd gives only http:// ones");
    }
    for (Optional<Path> f : List.of(ca, cert, key, passwordFile)) {
      if (f.isPresent() && !Files.isReadable(f.get())) {
        throw new SvcregException(f.get() + " does not exist or cannot be read");
      }
    }
    Leadership.checkTtl(leaderTtl);
  }

  /** A jetcd client for these options (it connects lazily, at its first request). */
  public Client connect() {
    check();
    ClientBuilder b =
        Client.builder()
            .endpoints(endpoints.toArray(URI[]::new))
            .connectTimeout(timeout)
            // etcd answers pings more often than every 5 s (its default minimum) with GOAWAY
            .keepaliveTime(Duration.ofSeconds(30))
            .keepaliveTimeout(Duration.ofSeconds(10))
            // a request to an unreachable member is retried on another rather than failing
            .retryMaxDuration(timeout);
    if (user.isPresent()) {
      b.user(ByteSequence.from(user.get(), UTF_8)).password(ByteSequence.from(password(), UTF_8));
    }
    if (endpoints.stream().anyMatch(u -> u.getScheme().equals("https"))) {
      try {
        SslContextBuilder ssl = GrpcSslContexts.forClient();
        ca.ifPresent(f -> ssl.trustManager(f.toFile()));
        if (cert.isPresent()) {
          ssl.keyManager(cert.get().toFile(), key.orElseThrow().toFile());
        }
        b.sslContext(ssl.build());
      } catch (IOException | IllegalArgumentException e) {
        throw new SvcregException("cannot set up TLS to etcd: " + e.getMessage(), e);
      }
    }
    return b.build();
  }

  private String password() {
    Path f = passwordFile.orElseThrow();
    try {
      return Files.readAllLines(f, UTF_8).stream().findFirst().orElse("").strip();
    } catch (IOException e) {
      throw new SvcregException("cannot read the etcd password from " + f + ": " + e.getMessage());
    }
  }
}

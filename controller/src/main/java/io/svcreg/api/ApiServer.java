package io.svcreg.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.helidon.common.tls.Tls;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.DirectHandlers;
import io.helidon.webserver.websocket.WsConfig;
import io.helidon.webserver.websocket.WsRouting;
import io.svcreg.core.ConflictException;
import io.svcreg.core.NotFoundException;
import io.svcreg.core.SvcregException;
import io.svcreg.deploy.ssh.CipherOrder;
import io.svcreg.loop.ActionReceipt;
import io.svcreg.loop.ServiceCommand;
import io.svcreg.registry.Registry;
import io.svcreg.store.Store;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The TLS WebSocket API of a running controller (protocol v1 at {@code wss://HOST:PORT/v1/ws}),
 * with {@code /healthz}, {@code /readyz}, {@code /metrics} and the dashboard ({@code /ui/}) on the
 * same port. Writes {@code {data}/api.url} once listening and removes it on close.
 */
public final class ApiServer implements AutoCloseable {

  /** The path of the WebSocket endpoint (protocol version 1). */
  public static final String PATH = "/v1/ws";

  /**
   * Requests a second per role by default: above what one client, or 16 connections of one, send at
   * full speed, so the limit never slows a normal client and only stops a runaway one.
   */
  public static final int DEFAULT_REQUESTS_PER_SECOND = 20_000;

  /** Requests a role may send at once by default. */
  public static final int DEFAULT_REQUEST_BURST = 40_000;

  /** The file in the data directory that holds the URL the server listens on. */
  public static final String URL_FILE = "api.url";

  /** How long a plan right after a start waits for the first reading of the spec directory. */
  static final Duration SPECS_WAIT = Duration.ofSeconds(30);

  /**
   * What to listen on, the TLS files ({@code tlsCert}/{@code tlsKey}: the user's PEM files; empty:
   * generated in {@code {data}/tls}), and the limits.
   *
   * @param host the listen address
   * @param port the port (0: any free one)
   * @param tlsCert the user's PEM certificate (chain), or empty
   * @param tlsKey the user's PEM private key, or empty
   * @param version the svcreg version that {@code server_info} reports
   * @param maxMessageBytes the largest inbound message (larger: close 1009)
   * @param maxConnections open WebSocket connections at most (more: HTTP 503)
   * @param requestsPerSecond requests a second on average that all connections and HTTPS requests
   *     with one role's token may send together (0: no limit)
   * @param requestBurst requests they may send at once
   * @param outboundQueue events waiting for one connection at most (more: it catches up from the
   *     journal), and responses waiting at most (more: close 1008)
   * @param outboundBytes bytes of events waiting for one connection at most (more: it catches up
   *     from the journal)
   * @param replayTimeout how long a replay or catch-up waits for room in the outbound queue (a
   *     watcher that reads nothing for this long is closed with 1008)
   * @param pingInterval how often idle connections are pinged (dead peers are found so)
   * @param closeGrace how long a closed or cut-off peer has to go before its socket is dropped
   */
  public record Options(
      String host,
      int port,
      Optional<Path> tlsCert,
      Optional<Path> tlsKey,
      String version,
      int maxMessageBytes,
      int maxConnections,
      double requestsPerSecond,
      int requestBurst,
      int outboundQueue,
      long outboundBytes,
      Duration replayTimeout,
      Duration pingInterval,
      Duration closeGrace) {

    /** The defaults: 127.0.0.1:9443, generated TLS, the limits of protocol v1. */
    public static Options defaults(String version) {
      return new Options(
          "127.0.0.1",
          9443,
          Optional.empty(),
          Optional.empty(),
          version,
          1 << 20,
          1024,
          DEFAULT_REQUESTS_PER_SECOND,
          DEFAULT_REQUEST_BURST,
          1024,
          4L << 20,
          Duration.ofSeconds(30),
          Duration.ofSeconds(30),
          Duration.ofSeconds(5));
    }

    /** These options listening on another address. */
    public Options withListen(String h, int p) {
      return new Options(
          h,
          p,
          tlsCert,
          tlsKey,
          version,
          maxMessageBytes,
          maxConnections,
          requestsPerSecond,
          requestBurst,
          outboundQueue,
          outboundBytes,
          replayTimeout,
          pingInterval,
          closeGrace);
    }

    /** These options with the user's PEM certificate and key. */
    public Options withTls(Path cert, Path key) {
      return new Options(
          host,
          port,
          Optional.of(cert),
          Optional.of(key),
          version,
          maxMessageBytes,
          maxConnections,
          requestsPerSecond,
          requestBurst,
          outboundQueue,
          outboundBytes,
          replayTimeout,
          pingInterval,
          closeGrace);
    }

    /** These options with other limits. */
    public Options withLimits(
        int maxMessageBytes,
        int maxConnections,
        double requestsPerSecond,
        int requestBurst,
        int outboundQueue,
        long outboundBytes) {
      return new Options(
          host,
          port,
          tlsCert,
          tlsKey,
          version,
          maxMessageBytes,
          maxConnections,
          requestsPerSecond,
          requestBurst,
          outboundQueue,
          outboundBytes,
          replayTimeout,
          pingInterval,
          closeGrace);
    }

    /** These options with other timings. */
    public Options withTimings(Duration replayTimeout, Duration pingInterval, Duration closeGrace) {
      return new Options(
          host,
          port,
          tlsCert,
          tlsKey,
          version,
          maxMessageBytes,
          maxConnections,
          requestsPerSecond,
          requestBurst,
          outboundQueue,
          outboundBytes,
          replayTimeout,
          pingInterval,
          closeGrace);
    }
  }

  /** Runs the admin actions that the controller provides (service_action, deploy_package). */
  @FunctionalInterface
  interface ExtraActions {
    /** The response data of {@code action}; {@code unknown_action} when there is none. */
    JsonNode handle(String action, ObjectNode params);
  }

  private final Options options;
  private final ControllerPort app;
  private final InstantSource clock;
  private final Tokens tokens;
  private final RateLimits rateLimits;
  private final TlsMaterial.Loaded tls;
  private final Metrics metrics;
  private final Hub hub;
  private final Actions actions;
  private final Registry registry;
  private final RegistryApi registryApi;
  private final ScheduledExecutorService timer;
  private final AtomicInteger open = new AtomicInteger();
  private final FrameFailures frameFailures = new FrameFailures();
  private volatile boolean ready;
  private WebServer server;
  private Path urlFile;
  private String url;
  private boolean closed;

  private final Tls serverTls;

  // the Unix-domain socket, when serve has --unix-socket
  private volatile UnixSocket unix;

  /**
   * What the API needs before it can listen and that does not depend on the controller: its tokens,
   * its TLS material (created when missing) and the TLS context made of them. {@code serve} loads
   * it while the store opens and the spec directory is read.
   */
  public static final class Prepared {

    private final Tokens tokens;
    private final TlsMaterial.Loaded tls;
    private final Tls serverTls;

    private Prepared(Options options, Path data, InstantSource clock) {
      if (options.tlsCert().isPresent() != options.tlsKey().isPresent()) {
        throw new SvcregException("--tls-cert and --tls-key go together; give both or neither");
      }
      this.tokens = Tokens.load(data.resolve("tokens"), new SecureRandom());
      this.tls =
          options.tlsCert().isPresent()
              ? TlsMaterial.userFiles(options.tlsCert().get(), options.tlsKey().orElseThrow())
              : TlsMaterial.generated(data.resolve("tls"), options.host(), clock.instant());
      List<String> suites = aeadCipherSuites(CipherOrder.aesCompiledHere());
      List<String> protocols = List.of("TLSv1.3", "TLSv1.2");
      SSLParameters params =
          new SSLParameters(suites.toArray(String[]::new), protocols.toArray(String[]::new));
      // the server's order decides (Helidon's parameters otherwise let the client's): ChaCha20
      // first when AES-GCM runs as plain Java, a third of its CPU for each record to a watcher
      params.setUseCipherSuitesOrder(true);
      this.serverTls =
          Tls.builder()
              .privateKey(tls.key())
              .privateKeyCertChain(tls.chain())
              .sslParameters(params)
              .enabledProtocols(protocols)
              .enabledCipherSuites(suites)
              .build();
    }
  }

  /**
   * Starts loading (or creating) the API's tokens and TLS material for data directory {@code data}
   * on a thread of its own; pass the result to {@link #start(Options, ControllerPort, Registry,
   * CompletableFuture)}.
   */
  public static CompletableFuture<Prepared> prepare(Options options, Path data) {
    CompletableFuture<Prepared> f = new CompletableFuture<>();
    Thread.ofPlatform()
        .name("svcreg-api-prepare")
        .daemon()
        .start(
            () -> {
              try {
                f.complete(new Prepared(options, data, InstantSource.system()));
              } catch (RuntimeException | Error e) {
                f.completeExceptionally(e);
              }
            });
    return f;
  }

  private ApiServer(
      Options options,
      ControllerPort app,
      Registry registry,
      InstantSource clock,
      Prepared prepared) {
    this.options = options;
    this.app = app;
    this.clock = clock;
    this.tokens = prepared.tokens;
    this.rateLimits = new RateLimits(options.requestsPerSecond(), options.requestBurst());
    this.tls = prepared.tls;
    this.serverTls = prepared.serverTls;
    this.metrics = new Metrics(app.store(), app.queue());
    this.hub = new Hub(app.store(), metrics::onEvents);
    this.actions = new Actions(this);
    this.registry = registry;
    this.registryApi = new RegistryApi(this, registry);
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("svcreg-api-timer").daemon().unstarted(r));
  }

  /**
   * Starts the API of {@code app} and its {@code registry} (which it closes when it closes):
   * creates the TLS material and tokens when missing, listens, and writes {@code {data}/api.url}.
   * Fails with one clear line (a taken port, unreadable PEM files).
   */
  public static ApiServer start(Options options, ControllerPort app, Registry registry) {
    return start(
        options,
        app,
        registry,
        CompletableFuture.completedFuture(
            new Prepared(options, app.dataDirectory(), InstantSource.system())));
  }

  /**
   * Starts the API of {@code app} with what {@link #prepare} loaded for it (its failure, e.g.
   * unreadable PEM files, is thrown here as it was thrown there).
   */
  public static ApiServer start(
      Options options,
      ControllerPort app,
      Registry registry,
      CompletableFuture<Prepared> prepared) {
    Prepared ready;
    try {
      ready = prepared.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw e;
    }
    ApiServer s = new ApiServer(options, app, registry, InstantSource.system(), ready);
    try {
      s.listen();
      return s;
    } catch (RuntimeException e) {
      s.close();
      throw e;
    }
  }

  /**
   * Checks that {@code options}' address can be listened on (the port is free, the host is an
   * address of this machine), before anything else starts; one clear line when not.
   */
  public static void checkListen(Options options) {
    if (options.port() == 0) {
      return;
    }
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(InetAddress.getByName(options.host()), options.port()));
    } catch (UnknownHostException e) {
      throw new SvcregException(
          "cannot listen on "
              + hostPort(options.host(), options.port())
              + ": unknown host "
              + options.host()
              + "; give an address of this host with --listen HOST:PORT");
    } catch (IOException e) {
      throw new SvcregException(
          "cannot listen on "
              + hostPort(options.host(), options.port())
              + ": "
              + (e instanceof BindException
                  ? "the port is in use or the address is not on this host"
                  : e.getMessage())
              + "; choose another with --listen HOST:PORT");
    }
  }

  private void listen() {
    checkListen(options);
    server =
        serving(WebServer.builder().host(options.host()).port(options.port()).tls(serverTls), null)
            .start();
    if (server.port() < 0) {
      server.stop();
      throw new SvcregException(
          "cannot listen on "
              + hostPort(options.host(), options.port())
              + ": the port is in use or the address is not on this host; choose another with"
              + " --listen HOST:PORT");
    }
    url = "wss://" + hostPort(urlHost(options.host()), server.port()) + PATH;
    urlFile = app.dataDirectory().resolve(URL_FILE);
    try {
      Path tmp = urlFile.resolveSibling("." + URL_FILE + ".tmp");
      Files.writeString(tmp, url, StandardCharsets.UTF_8);
      Files.move(tmp, urlFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new SvcregException("cannot write " + urlFile + ": " + e.getMessage(), e);
    }
    long ping = options.pingInterval().toMillis();
    timer.scheduleAtFixedRate(
        () -> hub.connections().forEach(Connection::ping), ping, ping, TimeUnit.MILLISECONDS);
  }

  /**
   * {@code b} serving the API: the HTTP routes and the WebSocket endpoint, with the dashboard on
   * the TLS port; on {@code unixSocket} (null: the TLS port) without tokens.
   */
  private WebServer serving(WebServerConfig.Builder b, UnixSocket unixSocket) {
    return b.shutdownGracePeriod(Duration.ofMillis(200))
        .directHandlers(
            DirectHandlers.builder()
                .addHandler(DirectHandler.EventType.INTERNAL_ERROR, frameFailures)
                .build())
        .addProtocol(WsConfig.builder().maxFrameLength(options.maxMessageBytes()).build())
        .routing(
            r -> {
              r.get("/healthz", (req, res) -> res.send("ok\n"))
                  .get(
                      "/readyz",
                      (req, res) -> {
                        Optional<String> why = notReady();
                        if (why.isEmpty()) {
                          res.send("ok\n");
                        } else {
                          res.status(Status.SERVICE_UNAVAILABLE_503).send(why.get() + "\n");
                        }
                      })
                  .get(
                      "/metrics",
                      (req, res) -> {
                        res.header(HeaderNames.CONTENT_TYPE, metrics.contentType());
                        res.send(metrics.scrape());
                      })
                  .register(registryApi::routes);
              if (unixSocket == null) {
                r.register(new Dashboard()::routes);
              }
            })
        .addRouting(WsRouting.builder().endpoint(PATH, () -> new Connection(this, unixSocket)))
        .build();
  }

  /**
   * Serves the API on a Unix-domain socket too (no TLS, no token: the socket file's owner, group
   * and mode decide who connects; see {@link UnixSocket}). Fails with one clear line, e.g. when a
   * live server holds the path.
   */
  public void listenUnix(UnixSocket.Options unixOptions) {
    UnixSocket u =
        UnixSocket.open(
            unixOptions,
            (socket, inner) -> {
              WebServer w =
                  serving(
                          WebServer.builder().bindAddress(UnixDomainSocketAddress.of(inner)),
                          socket)
                      .start();
              if (!w.isRunning() || !Files.exists(inner)) {
                w.stop();
                throw new SvcregException("cannot listen on the private socket " + inner);
              }
              return w::stop;
            });
    unix = u;
    u.accept();
  }

  /**
   * The AEAD cipher suites (TLS 1.3, and ECDHE for 1.2), ChaCha20-Poly1305 first unless {@code
   * aesFirst}.
   */
  static List<String> aeadCipherSuites(boolean aesFirst) {
    try {
      String[] supported = SSLContext.getDefault().getSupportedSSLParameters().getCipherSuites();
      List<String> out = new ArrayList<>();
      for (String c : supported) {
        boolean aead = c.contains("_GCM_") || c.contains("_CHACHA20_POLY1305_");
        boolean tls13 = c.startsWith("TLS_AES_") || c.startsWith("TLS_CHACHA20_");
        if (aead && (tls13 || c.startsWith("TLS_ECDHE_"))) {
          out.add(c);
        }
      }
      out.sort(java.util.Comparator.comparing(c -> c.contains("_CHACHA20_") == aesFirst ? 1 : 0));
      return out;
    } catch (NoSuchAlgorithmException e) {
      throw new SvcregException("no TLS implementation in this Java runtime: " + e.getMessage(), e);
    }
  }

  private static String urlHost(String host) {
    return host.equals("0.0.0.0") || host.isEmpty()
        ? "127.0.0.1"
        : host.equals("::") ? "::1" : host;
  }

  private static String hostPort(String host, int port) {
    return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port;
  }

  private Optional<String> notReady() {
    if (!ready) {
      if (app.converging()) {
        return Optional.of("not ready: the first reconcile of the spec directory is still running");
      }
      ready = true;
    }
    return Optional.empty();
  }

  /** The URL clients connect to, e.g. {@code wss://127.0.0.1:9443/v1/ws}. */
  public String url() {
    return url;
  }

  /** The port listened on. */
  public int port() {
    return server.port();
  }

  /** What a user needs to connect: the URL, the CA (or certificate) and the token files. */
  public List<String> describe() {
    List<String> lines = new ArrayList<>();
    lines.add("svcreg API: " + url + " (URL in " + urlFile + ")");
    if (tls.caFile() != null) {
      lines.add(
          "svcreg API: CA certificate "
              + tls.caFile().toAbsolutePath()
              + ", SHA-256 "
              + TlsMaterial.fingerprint(tls.chain().getLast()));
    } else {
      lines.add(
          "svcreg API: certificate "
              + tls.certFile().toAbsolutePath()
              + ", SHA-256 "
              + TlsMaterial.fingerprint(tls.chain().getFirst()));
    }
    lines.add(
        "svcreg API: tokens "
            + tokens.file(Role.ADMIN).toAbsolutePath()
            + " (admin), "
            + tokens.file(Role.READ).toAbsolutePath()
            + " (read)");
    lines.add(
        "svcreg dashboard: https://"
            + URI.create(url).getRawAuthority()
            + "/ui/ (sign in with one of those tokens)");
    if (unix != null) {
      lines.add(unix.describe());
    }
    return lines;
  }

  // ------------------------------------------------------------------ for the package

  Options options() {
    return options;
  }

  Tokens tokens() {
    return tokens;
  }

  Metrics metrics() {
    return metrics;
  }

  RateLimits rateLimits() {
    return rateLimits;
  }

  FrameFailures frameFailures() {
    return frameFailures;
  }

  Hub hub() {
    return hub;
  }

  Actions actions() {
    return actions;
  }

  RegistryApi registryApi() {
    return registryApi;
  }

  /**
   * The role and peer of a request that came over the Unix-domain socket ({@code remote}: the
   * request's remote address); empty for the TLS port.
   */
  Optional<UnixSocket> unixSocketOf(SocketAddress remote) {
    UnixSocket u = unix;
    return u != null && remote instanceof UnixDomainSocketAddress
        ? Optional.of(u)
        : Optional.empty();
  }

  /** The dynamic registry (publish, discover, unpublish with leases). */
  public Registry registry() {
    return registry;
  }

  Store store() {
    return app.store();
  }

  InstantSource clock() {
    return clock;
  }

  Path specDir() {
    return app.specDirectory();
  }

  /** Whether this controller is a member of a high-availability group. */
  boolean highAvailability() {
    return app.highAvailability();
  }

  /** The high-availability group this controller is a member of, if any. */
  Optional<Map<String, Object>> cluster() {
    return app.cluster();
  }

  /**
   * The desired state of the spec directory and its Git commit (after its first reading: {@link
   * #awaitSpecs}).
   */
  ControllerPort.Desired desired() {
    awaitSpecs();
    return app.desired();
  }

  /**
   * Right after a start, waits (at most {@link #SPECS_WAIT}) for the first reading of the spec
   * directory, so that a plan or a command is never taken against no specs at all.
   */
  private void awaitSpecs() {
    try {
      app.specsRead().get(SPECS_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new ApiError(
          "internal",
          "the spec directory "
              + specDir()
              + " is still being read after a start; retry in a few seconds");
    } catch (ExecutionException e) {
      throw new ApiError(
          "internal", "the spec directory could not be read: " + e.getCause().getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiError("internal", "interrupted while waiting for the spec directory");
    }
  }

  /** The admin actions the reconcile loop carries out: service_action and deploy_package. */
  JsonNode extraAction(String action, ObjectNode params) {
    awaitSpecs();
    return switch (action) {
      case "service_action" -> {
        String name = Actions.requiredString(params, "name");
        String word = Actions.requiredString(params, "action");
        ServiceCommand command =
            ServiceCommand.parse(word)
                .orElseThrow(
                    () ->
                        ApiError.badRequest(
                            "params.action " + word + ": expected start, stop or restart"));
        ActionReceipt r = loopCall(() -> app.serviceAction(name, command));
        ObjectNode d = Wire.mapper().createObjectNode();
        d.put("name", r.name());
        d.put("action", r.action());
        d.put("revision", r.revision());
        yield d;
      }
      case "deploy_package" -> {
        String name = Actions.requiredString(params, "name");
        ActionReceipt r = loopCall(() -> app.deployPackage(name));
        ObjectNode d = Wire.mapper().createObjectNode();
        d.put("name", r.name());
        d.put("version", r.version());
        d.put("revision", r.revision());
        yield d;
      }
      default ->
          throw new ApiError(
              "unknown_action",
              "unknown action "
                  + action
                  + "; server_info lists the protocol version, docs/protocol.md the actions");
    };
  }

  /** Runs a command of the loop, mapping its refusals to error codes. */
  private static ActionReceipt loopCall(java.util.function.Supplier<ActionReceipt> call) {
    try {
      return call.get();
    } catch (NotFoundException e) {
      throw new ApiError("not_found", e.getMessage());
    } catch (ConflictException e) {
      throw new ApiError("conflict", e.getMessage());
    }
  }

  /** Counts a new connection unless the limit is reached. */
  boolean admit() {
    while (true) {
      int n = open.get();
      if (n >= options.maxConnections()) {
        return false;
      }
      if (open.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** Un-counts a connection. */
  void release() {
    open.decrementAndGet();
  }

  /** Runs {@code task} after {@code delay} on the server's timer. */
  void later(Duration delay, Runnable task) {
    try {
      timer.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      task.run();
    }
  }

  /**
   * Closes every connection with 1001 (going away) after what is queued for it, stops listening and
   * removes {@code api.url}.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    List<Connection> all = List.copyOf(hub.connections());
    all.forEach(c -> c.close(1001, "server shutting down"));
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
      for (Connection c : all) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || !c.awaitClosed(Duration.ofNanos(left))) {
          break;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (urlFile != null) {
      try {
        // only our own: another server on this data directory may have written it since
        if (Files.exists(urlFile)
            && Files.readString(urlFile, StandardCharsets.UTF_8).strip().equals(url)) {
          Files.delete(urlFile);
        }
      } catch (IOException e) {
        // a stale api.url is overwritten by the next start
      }
    }
    if (unix != null) {
      unix.close();
    }
    if (server != null) {
      server.stop();
    }
    hub.close();
    registry.close();
    timer.shutdownNow();
  }

  @Override
  public String toString() {
    return "ApiServer" + Arrays.asList(url);
  }
}

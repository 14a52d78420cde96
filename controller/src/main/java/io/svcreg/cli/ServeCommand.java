package io.svcreg.cli;

import io.svcreg.ControllerApp;
import io.svcreg.api.ApiServer;
import io.svcreg.api.UnixSocket;
import io.svcreg.core.SvcregException;
import io.svcreg.ha.EtcdOptions;
import io.svcreg.registry.Registry;
import io.svcreg.schema.SpecDuration;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code svcreg serve}: runs the controller until SIGTERM or SIGINT. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = {
      "Run the controller: watch --specs, keep state in --data, and converge this host's"
          + " services to the specs. Stops on SIGTERM or Ctrl-C; the services it started keep"
          + " running and are picked up again by the next start."
    })
final class ServeCommand implements Callable<Integer> {

  private final Output output;

  @Option(
      names = "--specs",
      required = true,
      paramLabel = "DIR",
      description = "The spec directory to watch (recursively: *.yaml, *.yml).")
  Path specs;

  @Option(
      names = "--data",
      defaultValue = ".svcreg",
      paramLabel = "DIR",
      description = "Where the controller keeps its state (default: ${DEFAULT-VALUE}).")
  Path data;

  @Option(
      names = "--install-root",
      paramLabel = "DIR",
      description = "Where packages of local networks are installed (default: {data}/opt).")
  Path installRoot;

  @Option(
      names = "--listen",
      defaultValue = "127.0.0.1:9443",
      paramLabel = "HOST:PORT",
      description =
          "Where the TLS WebSocket API listens (default: ${DEFAULT-VALUE}; port 0: any free"
              + " port). The URL is written to {data}/api.url.")
  String listen;

  @Option(
      names = "--tls-cert",
      paramLabel = "FILE",
      description =
          "The API's certificate (PEM, server first, then intermediates). Default: a CA and a"
              + " server certificate created in {data}/tls.")
  Path tlsCert;

  @Option(
      names = "--tls-key",
      paramLabel = "FILE",
      description = "The private key (PEM, unencrypted) of --tls-cert.")
  Path tlsKey;

  @Option(
      names = "--resync",
      defaultValue = "5m",
      paramLabel = "DURATION",
      description =
          "How often every service is re-observed and repaired (default: ${DEFAULT-VALUE}).")
  String resync;

  @Option(
      names = "--debounce",
      defaultValue = "100ms",
      paramLabel = "DURATION",
      description =
          "How long a burst of spec file changes is coalesced (default: ${DEFAULT-VALUE}).")
  String debounce;

  @Option(
      names = "--lease-ttl",
      paramLabel = "DURATION",
      description =
          "The registry's lease for a publish that gives no ttl (default: 30s, 10m with"
              + " --registry-profile hsu; 1s to 24h).")
  String leaseTtl;

  @Option(
      names = "--registry-profile",
      defaultValue = "svcreg",
      paramLabel = "PROFILE",
      description =
          "svcreg (default): leases of --lease-ttl that only a publish refreshes; hsu: the HSU"
              + " reference registry's semantics for its clients: an entry is stale 10m after it"
              + " was last seen, and a discover refreshes it (like --lease-ttl 10m"
              + " --discover-refreshes).")
  String registryProfile;

  @Option(
      names = "--unix-socket",
      paramLabel = "PATH",
      description =
          "Also serve the API (HTTP routes and WebSocket) on this Unix-domain socket, without TLS"
              + " and without tokens: the socket file's owner, group and mode decide who connects."
              + " Its directory must exist and be writable only by svcreg's user or root (or be"
              + " sticky, like /tmp).")
  Path unixSocket;

  @Option(
      names = "--unix-socket-mode",
      defaultValue = "0660",
      paramLabel = "MODE",
      description =
          "The socket file's permission bits (default: ${DEFAULT-VALUE}: svcreg's user and"
              + " group; never writable by others).")
  String unixSocketMode;

  @Option(
      names = "--unix-socket-role",
      defaultValue = "admin",
      paramLabel = "ROLE",
      description =
          "What a process connected to --unix-socket may do: admin (default: publish, unpublish"
              + " and every other action) or read.")
  String unixSocketRole;

  @Option(
      names = "--discover-refreshes",
      description =
          "A discover of a published module refreshes its lease (a heartbeat, as in the"
              + " reference registry); off by default.")
  boolean discoverRefreshes;

  @Option(
      names = "--etcd",
      paramLabel = "URL[,URL...]",
      description =
          "Run as one member of a high-availability group sharing this etcd cluster (its client"
              + " URLs, comma-separated): one member leads and reconciles, the others serve reads"
              + " and take over when it goes. Off by default: a single controller.")
  String etcd;

  @Option(
      names = "--etcd-ca",
      paramLabel = "FILE",
      description = "The CA certificate (PEM) of etcd's https:// endpoints.")
  Path etcdCa;

  @Option(
      names = "--etcd-cert",
      paramLabel = "FILE",
      description = "This member's client certificate (PEM), for etcd's --client-cert-auth.")
  Path etcdCert;

  @Option(
      names = "--etcd-key",
      paramLabel = "FILE",
      description = "The private key (PEM, PKCS#8) of --etcd-cert.")
  Path etcdKey;

  @Option(
      names = "--etcd-user",
      paramLabel = "NAME",
      description =
          "etcd's user name, when etcd has authentication on (with --etcd-password-file).")
  String etcdUser;

  @Option(
      names = "--etcd-password-file",
      paramLabel = "FILE",
      description = "The file whose first line is --etcd-user's password.")
  Path etcdPasswordFile;

  @Option(
      names = "--leader-ttl",
      defaultValue = "10s",
      paramLabel = "DURATION",
      description =
          "The leader's etcd lease: how long a dead leader goes unnoticed (default:"
              + " ${DEFAULT-VALUE}; whole seconds, at least 2s).")
  String leaderTtl;

  @Option(
      names = "--advertise",
      paramLabel = "URL",
      description =
          "The API URL the other members and clients reach this member at (default: the URL it"
              + " listens at, as in {data}/api.url).")
  String advertise;

  @Option(
      names = "--requests-per-second",
      defaultValue = "" + ApiServer.DEFAULT_REQUESTS_PER_SECOND,
      paramLabel = "N",
      description =
          "Requests a second that all clients with one role's token (admin or read) may send"
              + " together, over WebSocket and HTTPS (default: ${DEFAULT-VALUE}; 0: no limit)."
              + " More get rate_limited (HTTP 429).")
  double requestsPerSecond;

  @Option(
      names = "--request-burst",
      defaultValue = "" + ApiServer.DEFAULT_REQUEST_BURST,
      paramLabel = "N",
      description = "Requests one role's clients may send at once (default: ${DEFAULT-VALUE}).")
  int requestBurst;

  @Option(
      names = "--max-connections",
      defaultValue = "1024",
      paramLabel = "N",
      description =
          "Open WebSocket connections at most (default: ${DEFAULT-VALUE}; more: HTTP 503).")
  int maxConnections;

  @Option(
      names = "--max-message-bytes",
      defaultValue = "1048576",
      paramLabel = "N",
      description =
          "The largest message a client may send (default: ${DEFAULT-VALUE}, 1 MiB; larger: the"
              + " connection is closed with 1009).")
  int maxMessageBytes;

  @Option(
      names = "--outbound-queue",
      defaultValue = "1024",
      paramLabel = "N",
      description =
          "Events waiting for one watcher at most (default: ${DEFAULT-VALUE}); a watcher further"
              + " behind catches up from the journal.")
  int outboundQueue;

  @Option(
      names = "--outbound-bytes",
      defaultValue = "4194304",
      paramLabel = "N",
      description =
          "Bytes of events waiting for one watcher at most (default: ${DEFAULT-VALUE}, 4 MiB).")
  long outboundBytes;

  @Option(
      names = "--log-format",
      defaultValue = "text",
      paramLabel = "FORMAT",
      description = "text (default) or json (one object per line, for log shippers).")
  String logFormat;

  @Option(
      names = "--log-level",
      defaultValue = "info",
      paramLabel = "LEVEL",
      description = "error, warn, info (default), debug or trace.")
  String logLevel;

  ServeCommand(Output output) {
    this.output = output;
  }

  @Override
  public Integer call() throws InterruptedException {
    if (!logFormat.equals("text") && !logFormat.equals("json")) {
      return fail("--log-format " + logFormat + ": expected text or json");
    }
    Level level;
    try {
      level = Logs.parseLevel(logLevel);
    } catch (IllegalArgumentException e) {
      return fail("--log-level " + e.getMessage());
    }
    var resyncEvery = SpecDuration.parse(resync);
    var debounceFor = SpecDuration.parse(debounce);
    if (resyncEvery.isEmpty() || resyncEvery.get().millis() < 1000) {
      return fail("--resync " + resync + ": expected a duration of at least 1s, like 30s or 5m");
    }
    if (debounceFor.isEmpty()) {
      return fail("--debounce " + debounce + ": expected a duration like 100ms");
    }
    boolean hsu = registryProfile.equals("hsu");
    if (!hsu && !registryProfile.equals("svcreg")) {
      return fail("--registry-profile " + registryProfile + ": expected svcreg or hsu");
    }
    String lease = leaseTtl != null ? leaseTtl : hsu ? "10m" : "30s";
    var ttl = SpecDuration.parse(lease);
    if (ttl.isEmpty() || ttl.get().millis() < 1000 || ttl.get().millis() > 86_400_000) {
      return fail("--lease-ttl " + lease + ": expected a duration from 1s to 24h, like 30s");
    }
    Registry.Options registryOptions =
        Registry.Options.DEFAULTS
            .withDefaultTtl(ttl.get().toDuration())
            .withDiscoverRefreshes(discoverRefreshes || hsu);
    Optional<HostPort> address = HostPort.parse(listen);
    if (address.isEmpty()) {
      return fail(
          "--listen "
              + listen
              + ": expected HOST:PORT with a port 0..65535, like 127.0.0.1:9443 or [::1]:9443");
    }
    if ((tlsCert == null) != (tlsKey == null)) {
      return fail("--tls-cert and --tls-key go together; give both or neither");
    }
    ApiServer.Options apiOptions =
        ApiServer.Options.defaults(Version.projectVersion())
            .withListen(address.get().host(), address.get().port());
    if (tlsCert != null) {
      apiOptions = apiOptions.withTls(tlsCert, tlsKey);
    }
    String limits = checkLimits();
    if (limits != null) {
      return fail(limits);
    }
    apiOptions =
        apiOptions.withLimits(
            maxMessageBytes,
            maxConnections,
            requestsPerSecond,
            requestBurst,
            outboundQueue,
            outboundBytes);
    Optional<EtcdOptions> group;
    Optional<UnixSocket.Options> unix = Optional.empty();
    try {
      group = etcdOptions();
      if (unixSocket != null) {
        unix = Optional.of(UnixSocket.Options.parse(unixSocket, unixSocketMode, unixSocketRole));
        UnixSocket.check(unix.get());
      }
    } catch (SvcregException e) {
      return fail(e.getMessage());
    }
    Logs.configure(logFormat, level);
    ControllerApp.Config config = ControllerApp.Config.of(specs, data);
    if (installRoot != null) {
      config = config.withInstallRoot(installRoot);
    }
    config =
        new ControllerApp.Config(
            config.specs(),
            config.data(),
            config.installRoot(),
            debounceFor.get().toDuration(),
            config.rescan(),
            config.loop().withResyncInterval(resyncEvery.get().toDuration()));
    if (group.isPresent()) {
      config = config.withEtcd(group.get(), Optional.ofNullable(advertise));
    }
    // the API serves the store as soon as it is open; the spec directory may still be read (the
    // loop reconciles once it is; /readyz says so, and a plan waits for it)
    ControllerApp.Serving serving;
    try {
      serving = ControllerApp.serve(config, apiOptions, registryOptions);
    } catch (SvcregException e) {
      return fail(e.getMessage());
    }
    ControllerApp app = serving.app();
    ApiServer api = serving.api();
    if (unix.isPresent()) {
      try {
        api.listenUnix(unix.get());
      } catch (SvcregException e) {
        serving.close();
        return fail(e.getMessage());
      }
    }
    try {
      app.specsRead().join();
    } catch (CompletionException e) {
      serving.close();
      return fail(
          e.getCause() instanceof SvcregException s
              ? s.getMessage()
              : "cannot read the spec directory " + specs + ": " + e.getCause());
    }
    String json = logFormat;
    for (String line : api.describe()) {
      say(json, line);
    }
    say(
        json,
        "svcreg: watching "
            + specs
            + ", data in "
            + data
            + "; stop with Ctrl-C (services keep running). State: svcreg status --data "
            + data);
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicBoolean closing = new AtomicBoolean();
    Thread hook =
        new Thread(
            () -> {
              if (closing.compareAndSet(false, true)) {
                serving.close();
                // java.util.logging is already shut down here: say it directly
                say(json, "svcreg: controller stopped; the services it manages keep running");
              }
              stopped.countDown();
            },
            "svcreg-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    app.deposed().thenRun(stopped::countDown);
    stopped.await();
    if (app.deposed().isDone() && closing.compareAndSet(false, true)) {
      // as Kubernetes' controller managers do: a member that lost its leadership exits, and its
      // supervisor starts it again as a standby
      String why = app.deposed().join();
      serving.close();
      Runtime.getRuntime().removeShutdownHook(hook);
      return fail(
          "this member stopped leading ("
              + why
              + ") and exits; start it again to rejoin as a standby (the services keep running)",
          Cli.DEPOSED);
    }
    return Cli.OK;
  }

  /** The etcd options of a high-availability member, or empty for a single controller. */
  private String requestsPerSecondText() {
    return requestsPerSecond == Math.rint(requestsPerSecond)
        ? Long.toString((long) requestsPerSecond)
        : Double.toString(requestsPerSecond);
  }

  /** What is wrong with the API limits given, or null. */
  private String checkLimits() {
    if (!(requestsPerSecond >= 0) || Double.isInfinite(requestsPerSecond)) {
      return "--requests-per-second " + requestsPerSecondText() + ": expected 0 (no limit) or more";
    }
    if (requestBurst < 1) {
      return "--request-burst " + requestBurst + ": expected 1 or more";
    }
    if (maxConnections < 1) {
      return "--max-connections " + maxConnections + ": expected 1 or more";
    }
    if (maxMessageBytes < 1024) {
      return "--max-message-bytes " + maxMessageBytes + ": expected 1024 or more";
    }
    if (outboundQueue < 16) {
      return "--outbound-queue " + outboundQueue + ": expected 16 or more";
    }
    if (outboundBytes < 65_536) {
      return "--outbound-bytes " + outboundBytes + ": expected 65536 or more";
    }
    return null;
  }

  private Optional<EtcdOptions> etcdOptions() {
    boolean any =
        etcdCa != null
            || etcdCert != null
            || etcdKey != null
            || etcdUser != null
            || etcdPasswordFile != null
            || advertise != null;
    if (etcd == null) {
      if (any) {
        throw new SvcregException(
            "--etcd-ca, --etcd-cert, --etcd-key, --etcd-user, --etcd-password-file and"
                + " --advertise are for a member of a high-availability group: add --etcd URL");
      }
      return Optional.empty();
    }
    var ttl = SpecDuration.parse(leaderTtl);
    if (ttl.isEmpty()) {
      throw new SvcregException("--leader-ttl " + leaderTtl + ": expected a duration like 10s");
    }
    if ((etcdUser == null) != (etcdPasswordFile == null)) {
      throw new SvcregException(
          "--etcd-user and --etcd-password-file go together; give both or neither");
    }
    EtcdOptions o =
        EtcdOptions.of(etcd)
            .withLeaderTtl(ttl.get().toDuration())
            .withTls(
                Optional.ofNullable(etcdCa),
                Optional.ofNullable(etcdCert),
                Optional.ofNullable(etcdKey));
    if (etcdUser != null) {
      o = o.withUser(etcdUser, etcdPasswordFile);
    }
    try {
      o.check();
    } catch (IllegalArgumentException e) {
      throw new SvcregException("--leader-ttl " + leaderTtl + ": " + e.getMessage());
    }
    if (advertise != null && !advertise.startsWith("wss://")) {
      throw new SvcregException(
          "--advertise " + advertise + ": expected the API URL, wss://HOST:PORT/v1/ws");
    }
    return Optional.of(o);
  }

  /** A line for the user on stderr: plain, or as one JSON log object with --log-format json. */
  private void say(String format, String message) {
    if (format.equals("json")) {
      LogRecord r = new LogRecord(Level.INFO, message);
      r.setLoggerName("io.svcreg.cli.ServeCommand");
      output.err().print(new Logs.JsonLines().format(r));
    } else {
      output.err().println(message);
    }
    output.err().flush();
  }

  private int fail(String message) {
    return fail(message, Cli.ERROR);
  }

  private int fail(String message, int code) {
    output.err().println("svcreg serve: " + message.replaceAll("\\s*\\R\\s*", " "));
    output.err().flush();
    return code;
  }
}

package io.svcreg.bench;

import io.svcreg.ControllerApp;
import io.svcreg.api.ApiServer;
import io.svcreg.registry.Registry;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One controller start in a JVM of its own, as {@code svcreg serve} restarts: {@code
 * ControllerBench} launches it with the spec directory, data directory, install root and the number
 * of reconciles of a full resync. It prints {@code serving} as soon as {@link ControllerApp#start}
 * returned (the store is open, the specs are read and handed to the loop, which reconciles) and the
 * TLS API listens on a free loopback port, as {@code serve} starts them, then {@code converged
 * <serving nanos> <converged nanos> <cpu nanos>} (from the call of {@link ControllerApp#start})
 * once a full pass over every service ended, then closes the controller.
 */
public final class FreshStart {

  // the controller's start-up line (how long the store and the spec directory took) goes to the log
  private static final Logger APP_LOG = Logger.getLogger(ControllerApp.class.getName());

  private FreshStart() {}

  /** Starts, reports serving, waits until converged, prints the figures, stops. */
  public static void main(String[] args) {
    Logger.getLogger("").setLevel(Level.WARNING);
    APP_LOG.setLevel(Level.INFO);
    long reconciles = Long.parseLong(args[3]);
    long c0 = ControllerBench.processCpu();
    long t0 = System.nanoTime();
    ApiServer.Options apiOptions = ApiServer.Options.defaults("bench").withListen("127.0.0.1", 0);
    // as `serve` starts: the API's TLS material is loaded while the controller starts
    CompletableFuture<ApiServer.Prepared> prepared =
        ApiServer.prepare(apiOptions, Path.of(args[1]));
    try (ControllerApp app =
            ControllerApp.start(
                ControllerBench.config(Path.of(args[0]), Path.of(args[1]), Path.of(args[2])));
        ApiServer api = ApiServer.start(apiOptions, app, Registry.Options.DEFAULTS, prepared)) {
      long t1 = System.nanoTime();
      System.out.println("serving");
      System.out.flush();
      long serveCpu = ControllerBench.processCpu() - c0;
      ControllerBench.awaitIdle(app, reconciles);
      long t2 = System.nanoTime();
      System.out.println(
          "converged "
              + (t1 - t0)
              + " "
              + (t2 - t0)
              + " "
              + serveCpu
              + " "
              + (ControllerBench.processCpu() - c0));
    }
  }
}

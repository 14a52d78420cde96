package io.svcreg.bench;

import io.svcreg.ControllerApp;
import io.svcreg.api.ApiServer;
import io.svcreg.registry.Registry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One controller start in a JVM of its own, as {@code svcreg serve} restarts: {@code
 * ControllerBench} launches it with the spec directory, data directory, install root and the number
 * of reconciles of a full resync. It prints {@code serving PORT} as soon as {@link
 * ControllerApp#open} returned (the store is open and the loop waits for the specs) and the TLS API
 * listens on a free loopback port, as {@code serve} starts them; {@code specs} once the spec
 * directory is read and handed to the loop; then {@code converged <serving nanos> <converged nanos>
 * <serving cpu nanos> <cpu nanos> <specs nanos>} (from the call of {@link ControllerApp#open}) once
 * a full pass over every service ended, then closes the controller when its input ends.
 */
public final class FreshStart {

  // the controller's start-up line (how long the store and the spec directory took) goes to the log
  private static final Logger APP_LOG = Logger.getLogger(ControllerApp.class.getName());

  private FreshStart() {}

  /** Starts, reports serving, waits until converged, prints the figures, stops. */
  public static void main(String[] args) throws IOException {
    Logger.getLogger("").setLevel(Level.WARNING);
    APP_LOG.setLevel(Level.INFO);
    long reconciles = Long.parseLong(args[3]);
    long c0 = ControllerBench.processCpu();
    long t0 = System.nanoTime();
    ApiServer.Options apiOptions = ApiServer.Options.defaults("bench").withListen("127.0.0.1", 0);
    // as `serve` starts (the API's TLS material is loaded while the controller starts), and the API
    // serves the store while the spec directory is still read
    try (ControllerApp.Serving serving =
        ControllerApp.serve(
            ControllerBench.config(Path.of(args[0]), Path.of(args[1]), Path.of(args[2])),
            apiOptions,
            Registry.Options.DEFAULTS)) {
      ControllerApp app = serving.app();
      ApiServer api = serving.api();
      long t1 = System.nanoTime();
      System.out.println("serving " + api.port());
      System.out.flush();
      long serveCpu = ControllerBench.processCpu() - c0;
      app.specsRead().join();
      long tSpecs = System.nanoTime();
      System.out.println("specs");
      System.out.flush();
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
              + (ControllerBench.processCpu() - c0)
              + " "
              + (tSpecs - t0));
      System.out.flush();
      // the bench may still be asking its first question: stop when it closes our input
      while (System.in.read() >= 0) {
        // nothing to read
      }
    }
  }
}

package io.svcreg.deploy.local;

import io.svcreg.deploy.DeployTimeouts;
import io.svcreg.deploy.Launch;
import io.svcreg.deploy.StartOutcome;
import io.svcreg.schema.Endpoint;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Protocol;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;

/**
 * A stand-in controller for {@link ControllerDeathIT}, run in its own JVM: starts the installed
 * {@code store} 1.0.0 on {@code ip:port}, prints {@code started PID START} (or {@code failed ...}),
 * then waits to be killed.
 */
final class ChildController {

  private ChildController() {}

  /** Arguments: install root, ip, port. */
  public static void main(String[] args) throws Exception {
    LocalDeployer deployer =
        new LocalDeployer(
            Path.of(args[0]),
            DeployTimeouts.DEFAULTS,
            InstantSource.system(),
            Waiter.system(),
            LocalDeployerProcessIT.controllerEnv());
    Launch store =
        new Launch(
            "store",
            "1.0.0",
            Ipv4.of(args[1]),
            List.of(new Endpoint("http", Integer.parseInt(args[2]), Protocol.HTTP)),
            Map.of(),
            Map.of());
    switch (deployer.start(store)) {
      case StartOutcome.Started s ->
          System.out.println("started " + s.process().pid() + " " + s.process().startTime());
      case StartOutcome.Failed f -> System.out.println("failed " + f);
    }
    System.out.flush();
    System.in.read(); // until killed
  }
}

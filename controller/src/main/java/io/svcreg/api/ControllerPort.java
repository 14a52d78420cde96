package io.svcreg.api;

import io.svcreg.loop.ActionReceipt;
import io.svcreg.loop.ServiceCommand;
import io.svcreg.loop.WorkQueue;
import io.svcreg.schema.ResourceKey;
import io.svcreg.schema.SpecSet;
import io.svcreg.store.Store;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What the API needs of the controller it serves: its store, its directories, the desired state the
 * loop works from, how far the loop is, and the operator's commands. The running controller ({@link
 * io.svcreg.ControllerApp}) provides it; the API knows nothing else of it.
 */
public interface ControllerPort {

  /** The desired state the loop works from, and the Git commit of the spec directory it read. */
  record Desired(SpecSet specs, Optional<String> sourceRevision) {}

  /** The store the API serves (read it; the loop and the registry write it). */
  Store store();

  /** The data directory (tokens, TLS material, {@code api.url}). */
  Path dataDirectory();

  /** The spec directory the loop watches. */
  Path specDirectory();

  /** The last reading of the spec directory handed to the loop. */
  Desired desired();

  /** Completes once the first reading of the spec directory is handed to the loop. */
  CompletableFuture<Void> specsRead();

  /** Whether the loop has not read the specs yet or still has work queued or running. */
  boolean converging();

  /** The loop's work queue (for the metrics). */
  WorkQueue<ResourceKey> queue();

  /** Records an operator's command on a declared service (see the loop's {@code Controller}). */
  ActionReceipt serviceAction(String name, ServiceCommand command);

  /** Records a forced re-deploy of a declared service's package. */
  ActionReceipt deployPackage(String name);

  /**
   * The high-availability group this controller is a member of, as {@code server_info} shows it
   * ({@code member}, {@code role}, {@code leader}, {@code epoch}, {@code members}, {@code etcd}),
   * or empty for a single controller.
   */
  default Optional<Map<String, Object>> cluster() {
    return Optional.empty();
  }

  /** Whether this controller is (or is joining) a member of a high-availability group. */
  default boolean highAvailability() {
    return false;
  }
}

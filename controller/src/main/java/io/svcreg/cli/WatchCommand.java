package io.svcreg.cli;

import io.svcreg.client.ApiException;
import io.svcreg.client.ConnectionException;
import io.svcreg.client.Event;
import io.svcreg.client.Subscription;
import io.svcreg.client.SubscriptionListener;
import io.svcreg.client.SvcregClient;
import io.svcreg.core.SvcregException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code svcreg watch}: every event of a running controller, one line each, as it happens. */
@Command(
    name = "watch",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = {
      "Print the controller's events as they happen, one line each: time, revision, event,"
          + " resource and a summary (-o json: one JSON object per line, as the server sends a"
          + " single event; events that share a revision are printed one by one the same way).",
      "Starts with a registry_loaded snapshot, or with every event after --since N. A dropped"
          + " connection is resumed where it stopped (no gap, no duplicate); with several"
          + " --server URLs (the members of a high-availability group), on the next member in"
          + " turn, so the watch goes on when the member it watches goes away.",
      "A controller that is not up yet (or restarting) is tried again after 1s, 2s, 4s, ... up"
          + " to 30s, with one line on stderr per attempt; a refused token, an untrusted"
          + " certificate or a refused upgrade ends it at once.",
      "Exit codes: 0 stopped after --count events, 2 refused (token, certificate), cannot connect"
          + " with --no-retry, bad usage, or --since too old."
    })
final class WatchCommand implements java.util.concurrent.Callable<Integer> {

  /** The first delay before trying again to reach a controller that is not up. */
  static final Duration RETRY_BASE = Duration.ofSeconds(1);

  /** The longest delay between two attempts. */
  static final Duration RETRY_CAP = Duration.ofSeconds(30);

  private final Output output;

  @Option(
      names = "--events",
      split = ",",
      paramLabel = "NAMES",
      description = "Only these events, comma-separated (e.g. service_state_changed,spec_error).")
  List<String> events = new ArrayList<>();

  @Option(
      names = "--since",
      paramLabel = "N",
      description = "Replay every retained event after revision N, then continue live.")
  Long since;

  @Option(
      names = {"-o", "--output"},
      defaultValue = "text",
      paramLabel = "FORMAT",
      description = "text (default) or json.")
  String format;

  @Option(
      names = "--count",
      paramLabel = "N",
      description = "Exit after N events (default: run until interrupted).")
  Long count;

  @Option(
      names = "--no-retry",
      description = "Exit (code 2) when the controller cannot be reached, instead of trying again.")
  boolean noRetry;

  @Mixin ClientOptions client = new ClientOptions();

  WatchCommand(Output output) {
    this.output = output;
  }

  @Override
  public Integer call() throws InterruptedException {
    if (!format.equals("text") && !format.equals("json")) {
      return usage("-o " + format + ": expected text or json");
    }
    if (since != null && since < 0) {
      return usage("--since " + since + ": expected a revision, 0 or more");
    }
    if (count != null && count <= 0) {
      return usage("--count " + count + ": expected 1 or more");
    }
    CompletableFuture<Integer> finished = new CompletableFuture<>();
    AtomicLong seen = new AtomicLong();
    AtomicBoolean printed = new AtomicBoolean();
    AtomicReference<SvcregClient> connected = new AtomicReference<>();
    SubscriptionListener listener =
        new SubscriptionListener() {
          @Override
          public void onEvent(Event e) {
            if (finished.isDone()) {
              return;
            }
            output.out().println(format.equals("json") ? e.json().toString() : EventText.line(e));
            output.out().flush();
            printed.set(true);
            if (count != null && seen.incrementAndGet() >= count) {
              finished.complete(Cli.OK);
            }
          }

          @Override
          public void onDisconnected(String why, Duration retryIn) {
            notice(why + "; reconnecting in " + retryIn.toMillis() + " ms");
          }

          @Override
          public void onResumed(long after) {
            SvcregClient c = connected.get();
            notice(
                "reconnected"
                    + (c == null ? "" : " to " + c.server())
                    + "; resumed after revision "
                    + after);
          }
        };
    ConnectRetry retry = new ConnectRetry(RETRY_BASE, RETRY_CAP);
    while (true) {
      String unreachable;
      SvcregException failure;
      try (SvcregClient c = Remote.connect(client)) {
        connected.set(c);
        if (retry.failures() > 0) {
          notice("connected to " + c.server());
        }
        return stream(c, listener, finished);
      } catch (ClientOptions.NotRunning e) {
        unreachable = e.reason();
        failure = e;
      } catch (ConnectionException e) {
        if (e.permanent() || printed.get()) {
          // after events were printed, starting over from --since would print them again
          return Remote.fail(output, "watch", e);
        }
        unreachable = e.reason();
        failure = e;
      } catch (SvcregException e) {
        return failed(e);
      }
      if (noRetry) {
        return Remote.fail(output, "watch", failure);
      }
      Duration delay = retry.failed();
      notice(unreachable + "; retrying in " + ConnectRetry.text(delay));
      Thread.sleep(delay.toMillis());
    }
  }

  /**
   * Subscribes and prints until done: the exit code. A connection that cannot be opened or fails
   * before the subscription is accepted throws its {@link ConnectionException} (the caller
   * retries).
   */
  private int stream(
      SvcregClient c, SubscriptionListener listener, CompletableFuture<Integer> finished)
      throws InterruptedException {
    OptionalLong from = since == null ? OptionalLong.empty() : OptionalLong.of(since);
    AtomicReference<Subscription> sub = new AtomicReference<>(start(c, from, listener));
    while (true) {
      CompletableFuture<Object> any = CompletableFuture.anyOf(finished, sub.get().done());
      try {
        any.get(1, TimeUnit.DAYS);
      } catch (TimeoutException e) {
        continue;
      } catch (ExecutionException e) {
        // the stream ended: see below
      }
      if (finished.isDone()) {
        sub.get().close();
        return finished.join();
      }
      Throwable why = sub.get().done().exceptionNow();
      if (why instanceof ApiException api && api.code().equals(ApiException.REVISION_EXPIRED)) {
        notice(
            "events after revision "
                + sub.get().lastRevision()
                + " are no longer kept; starting again from a snapshot");
        sub.set(start(c, OptionalLong.empty(), listener));
      } else if (why instanceof SvcregException s) {
        return Remote.fail(output, "watch", s);
      } else {
        return Remote.fail(output, "watch", new SvcregException(String.valueOf(why), why));
      }
    }
  }

  private int failed(SvcregException e) {
    if (e instanceof ApiException api && api.code().equals(ApiException.REVISION_EXPIRED)) {
      return Remote.fail(
          output,
          "watch",
          new SvcregException(
              "--since "
                  + since
                  + ": "
                  + api.getMessage()
                  + " (the server keeps revisions "
                  + api.details().path("oldestRevision").asText("?")
                  + " to "
                  + api.details().path("revision").asText("?")
                  + "); run without --since to start from a snapshot"));
    }
    return Remote.fail(output, "watch", e);
  }

  private Subscription start(SvcregClient c, OptionalLong from, SubscriptionListener listener)
      throws InterruptedException {
    try {
      return c.subscribe(events, from, listener).get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof SvcregException s) {
        throw s;
      }
      throw new SvcregException("subscribe failed: " + e.getCause(), e.getCause());
    }
  }

  private void notice(String message) {
    output.err().println("svcreg watch: " + message);
    output.err().flush();
  }

  private int usage(String message) {
    output.err().println("svcreg watch: " + message);
    output.err().flush();
    return Cli.ERROR;
  }
}

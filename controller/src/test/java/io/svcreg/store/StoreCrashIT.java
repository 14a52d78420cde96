package io.svcreg.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.Waits;
import io.svcreg.core.Lease;
import io.svcreg.core.ObservedService;
import io.svcreg.core.ObservedState;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A writer process killed with SIGKILL at random points loses and duplicates nothing. */
class StoreCrashIT {

  @TempDir Path tmp;

  @Test
  void kill9_atRandomPoints_everyReturnedCommitSurvivesWithoutGapOrDuplicate() throws Exception {
    Path dir = tmp.resolve("store");
    Random random = new Random(20260301);
    List<Long> acknowledged = new ArrayList<>();
    for (int round = 0; round < 6; round++) {
      // round 0 and sometimes later: kill while the store is being opened
      boolean duringOpen = round == 0 || random.nextInt(4) == 0;
      int commits = duringOpen ? 0 : 1 + random.nextInt(60);
      Path log = tmp.resolve("writer-" + round + ".log");
      Process p = writer(dir, log);
      List<String> lines = new CopyOnWriteArrayList<>();
      Thread reader = Thread.ofPlatform().start(() -> readLines(p, lines));
      try {
        Waits.atMost(Duration.ofSeconds(60))
            .failFast("the writer exited; see " + log, () -> !p.isAlive())
            .until(() -> duringOpen ? lines.contains("opening") : committed(lines) >= commits);
      } finally {
        p.destroyForcibly(); // SIGKILL on Linux
        p.waitFor();
        reader.join();
      }
      List<Long> printed =
          lines.stream()
              .filter(l -> l.startsWith("committed "))
              .map(l -> Long.parseLong(l.substring("committed ".length())))
              .toList();
      if (!printed.isEmpty()) {
        // a new process continues right after what the last one acknowledged
        long opened =
            Long.parseLong(
                lines.stream()
                    .filter(l -> l.startsWith("opened "))
                    .findFirst()
                    .orElseThrow()
                    .substring("opened ".length()));
        assertThat(printed.getFirst()).isEqualTo(opened + 1);
      }
      acknowledged.addAll(printed);

      try (Store store = Store.open(dir, StoreOptions.defaults(), InstantSource.system())) {
        assertThat(store.recoveryNotice()).isEmpty();
        EventsSince.Events all = (EventsSince.Events) store.eventsSince(0);
        List<Long> revisions = all.events().stream().map(Event::revision).toList();
        long last = store.lastRevision();
        assertThat(revisions).isEqualTo(LongStream.rangeClosed(1, last).boxed().toList());
        assertThat(revisions).containsAll(acknowledged);
        assertState(store.observed(), last);
      }
    }
    assertThat(acknowledged).isNotEmpty().doesNotHaveDuplicates();
  }

  /** The state matches the events: 2 events per commit, each commit toggles one service. */
  private static void assertState(ObservedState state, long last) {
    assertThat(last % 2).isZero();
    long commits = last / 2;
    Set<String> expected =
        LongStream.range(0, 40)
            .filter(n -> commits > n && ((commits - 1 - n) / 40) % 2 == 0)
            .mapToObj(n -> "svc-" + n)
            .collect(Collectors.toSet());
    assertThat(state.services().stream().map(s -> s.metadata().name()))
        .containsExactlyInAnyOrderElementsOf(expected);
    assertThat(state.leases().stream().map(Lease::service))
        .containsExactlyInAnyOrderElementsOf(expected);
    for (ObservedService s : state.services()) {
      assertThat(s).isEqualTo(Fixtures.service(s.metadata().name()));
    }
  }

  private static long committed(List<String> lines) {
    return lines.stream().filter(l -> l.startsWith("committed ")).count();
  }

  private static Process writer(Path dir, Path log) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    return new ProcessBuilder(
            java,
            "--add-exports",
            "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-cp",
            System.getProperty("java.class.path"),
            CrashWriter.class.getName(),
            dir.toString())
        .redirectError(log.toFile())
        .start();
  }

  private static void readLines(Process p, List<String> into) {
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        into.add(line);
      }
    } catch (IOException e) {
      // the process was killed
    }
  }
}

package io.svcreg.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tools/bench controller} at small sizes: every figure is reported, nothing is left. */
class ControllerBenchIT {

  @TempDir Path dir;
  @TempDir Path data;

  @Test
  void run_smallSizes_reportsEveryTargetAndLeavesNoFilesOrProcesses() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    new ControllerBench(out, 100, 20, 3, 1, false, false).run(dir, data);

    String report = bytes.toString(StandardCharsets.UTF_8);
    assertThat(report)
        .contains("spec-only change → event committed, p99 ≤ debounce + 25 ms")
        .contains("new local service → running and healthy, p50")
        .contains("start-up with 100 services → serving < 2 s, fresh JVM")
        .contains("start-up with 100 services → serving, this JVM")
        .contains("start-up with 100 services → converged, fresh JVM")
        .contains("heap per stored service (100 services)")
        .contains("resync of 20 converged services < 1 s, median")
        .containsPattern("resync of 20 converged services: zero events +0 events +PASS");
    try (Stream<Path> left = Files.list(dir);
        Stream<Path> leftData = Files.list(data)) {
      assertThat(left).isEmpty();
      assertThat(leftData).isEmpty();
    }
    assertThat(servicesRunningIn(dir)).isEmpty();
  }

  @Test
  void run_startOnly_reportsOnlyTheStartUpFigures() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    new ControllerBench(out, 100, 20, 3, 1, false, true).run(dir, data);

    String report = bytes.toString(StandardCharsets.UTF_8);
    assertThat(report)
        .contains("start-up with 100 services → serving < 2 s, fresh JVM")
        .contains("start-up with 100 services → serving, this JVM")
        .doesNotContain("spec-only change")
        .doesNotContain("resync of");
    try (Stream<Path> left = Files.list(dir);
        Stream<Path> leftData = Files.list(data)) {
      assertThat(left).isEmpty();
      assertThat(leftData).isEmpty();
    }
  }

  /** Tiny services still running whose working directory (their install) was below {@code dir}. */
  private static List<Long> servicesRunningIn(Path dir) {
    return ProcessHandle.allProcesses()
        .filter(p -> isTinyServiceBelow(p.pid(), dir))
        .map(ProcessHandle::pid)
        .toList();
  }

  private static boolean isTinyServiceBelow(long pid, Path dir) {
    try {
      Path proc = Path.of("/proc", Long.toString(pid));
      String cmdline = Files.readString(proc.resolve("cmdline"));
      return cmdline.startsWith(TinyPackage.PROCESS_NAME + "\0")
          && Files.readSymbolicLink(proc.resolve("cwd")).toString().startsWith(dir.toString());
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }
}

package io.svcreg.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tools/bench registry} runs end to end on small sizes (its figures are not judged here).
 */
class RegistryBenchIT {

  @TempDir Path tmp;

  @Test
  void run_smallSizes_printsEveryTargetAndRemovesItsFiles() throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    new RegistryBench(new PrintStream(buf, true, StandardCharsets.UTF_8))
        .run(tmp, 100, 100, 10, 50);

    String out = buf.toString(StandardCharsets.UTF_8);
    assertThat(out)
        .contains("registry data for 1,000 published modules")
        .contains("publish p99 < 10 ms")
        .contains("discover server side p99 < 1 ms")
        .contains("discover round trip over wss")
        .contains("leases expiring in one second")
        .contains("0 left");
    assertThat(tmp).isEmptyDirectory();
  }
}

package io.svcreg.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreBenchmarkIT {

  @TempDir Path tmp;

  @Test
  void run_smallStore_reportsFigures() {
    StoreBenchmark.Result r = StoreBenchmark.run(tmp.resolve("store"), 300);

    assertThat(r.services()).isEqualTo(300);
    assertThat(r.openMillis()).isPositive();
    assertThat(r.diskBytes()).isPositive();
    assertThat(r.toString()).startsWith("300 services: create ");
  }
}

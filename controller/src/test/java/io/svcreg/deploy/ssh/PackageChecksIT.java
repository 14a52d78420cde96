package io.svcreg.deploy.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.svcreg.deploy.PackageRejected;
import io.svcreg.deploy.Requirements;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Package checks on real files: one check per unchanged .tar.gz, a new one when it changes. */
class PackageChecksIT {

  @TempDir Path tmp;

  private final AtomicInteger runs = new AtomicInteger();

  private PackageChecks.Check counting(Path archive) {
    return () -> {
      runs.incrementAndGet();
      return new PackageChecks.Checked(
          "c", new Requirements(List.of(), List.of()), archive, Files.size(archive), "s", 1);
    };
  }

  @Test
  void sameArchive_manyNodesAtOnce_checkedOnce() throws Exception {
    Path archive = Files.writeString(tmp.resolve("a-1.tar.gz"), "one");
    PackageChecks checks = new PackageChecks();
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<PackageChecks.Checked>> fs =
          List.of(
              pool.submit(() -> checks.get(archive, counting(archive))),
              pool.submit(() -> checks.get(archive, counting(archive))),
              pool.submit(() -> checks.get(archive, counting(archive))));
      for (Future<PackageChecks.Checked> f : fs) {
        assertThat(f.get().checksum()).isEqualTo("c");
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(runs).hasValue(1);
  }

  @Test
  @org.junit.jupiter.api.Timeout(60)
  void otherArchives_checkedWhileOneCheckIsUnderWay() throws Exception {
    Path slow = Files.writeString(tmp.resolve("slow-1.tar.gz"), "slow");
    PackageChecks checks = new PackageChecks();
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(1);
    try {
      Future<PackageChecks.Checked> held =
          pool.submit(
              () ->
                  checks.get(
                      slow,
                      () -> {
                        try {
                          release.await();
                        } catch (InterruptedException e) {
                          throw new java.io.IOException("interrupted", e);
                        }
                        return counting(slow).run();
                      }));
      // many other packages, whatever their hashes, are checked while that one waits
      for (int i = 0; i < 64; i++) {
        Path other = Files.writeString(tmp.resolve("other-" + i + ".tar.gz"), "o" + i);
        assertThat(checks.get(other, counting(other)).archive()).isEqualTo(other);
      }
      assertThat(held).isNotDone();
      release.countDown();
      assertThat(held.get().archive()).isEqualTo(slow);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void changedArchive_checkedAgain() throws Exception {
    Path archive = Files.writeString(tmp.resolve("a-1.tar.gz"), "one");
    PackageChecks checks = new PackageChecks();
    checks.get(archive, counting(archive));
    Files.writeString(archive, "two!");
    Files.setLastModifiedTime(archive, FileTime.from(Instant.parse("2030-01-01T00:00:00Z")));
    checks.get(archive, counting(archive));
    assertThat(runs).hasValue(2);
  }

  @Test
  void directoryOrRejected_neverKept() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("pkg"));
    PackageChecks checks = new PackageChecks();
    checks.get(dir, counting(Files.writeString(tmp.resolve("x.tar.gz"), "x")));
    checks.get(dir, counting(tmp.resolve("x.tar.gz")));
    assertThat(runs).hasValue(2);

    Path bad = Files.writeString(tmp.resolve("bad-1.tar.gz"), "bad");
    PackageChecks.Check reject =
        () -> {
          runs.incrementAndGet();
          throw PackageRejected.invalid("broken");
        };
    assertThatThrownBy(() -> checks.get(bad, reject)).isInstanceOf(PackageRejected.class);
    assertThatThrownBy(() -> checks.get(bad, reject)).isInstanceOf(PackageRejected.class);
    assertThat(runs).hasValue(4);
  }
}

package io.svcreg.ha;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A test on a three-member etcd cluster of its own (in its temporary directory), started before
 * each test; what the test adds to {@link #closing} is closed after it, last first, then the
 * cluster.
 */
abstract class EtcdTestBase {

  @TempDir Path tmp;
  EtcdCluster cluster;
  final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void startEtcd() {
    cluster = EtcdCluster.start(tmp.resolve("etcd"));
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
    cluster.close();
  }
}

package io.svcreg.ha;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.svcreg.Waits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The test harness itself: a real three-member etcd cluster that survives losing its leader. */
class EtcdClusterIT {

  @TempDir Path tmp;

  @Test
  void cluster_started_servesWritesThroughEveryMember() throws Exception {
    try (EtcdCluster cluster = EtcdCluster.start(tmp.resolve("etcd"));
        Client client = cluster.client()) {
      assertThat(cluster.clientUrls()).hasSize(3).doesNotHaveDuplicates();
      assertThat(cluster.endpoints()).isEqualTo(String.join(",", cluster.clientUrls()));
      client.getKVClient().put(bytes("/test/a"), bytes("1")).get(10, TimeUnit.SECONDS);

      for (String url : cluster.clientUrls()) {
        try (Client one = Client.builder().endpoints(url).build()) {
          assertThat(value(one.getKVClient(), "/test/a")).isEqualTo("1");
        }
      }
    }
  }

  @Test
  void cluster_raftLeaderKilled_othersElectOneAndWritesResume() throws Exception {
    try (EtcdCluster cluster = EtcdCluster.start(tmp.resolve("etcd"));
        Client client = cluster.client()) {
      KV kv = client.getKVClient();
      kv.put(bytes("/test/before"), bytes("1")).get(10, TimeUnit.SECONDS);
      int old = cluster.leader();

      cluster.kill(old);

      int elected = cluster.leader();
      assertThat(elected).isNotEqualTo(old);
      // one request in flight to the dead leader may fail (UNAVAILABLE): the next ones succeed
      awaitPut(kv, "/test/after", "2");
      assertThat(value(kv, "/test/before")).isEqualTo("1");
      assertThat(value(kv, "/test/after")).isEqualTo("2");

      cluster.restart(old);
      awaitValue(cluster.clientUrl(old), "/test/after", "2");
    }
  }

  @Test
  void cluster_memberPaused_othersServeUntilItResumes() throws Exception {
    try (EtcdCluster cluster = EtcdCluster.start(tmp.resolve("etcd"));
        Client client = cluster.client()) {
      int follower = (cluster.leader() + 1) % cluster.size();

      cluster.pause(follower);
      awaitPut(client.getKVClient(), "/test/paused", "3");
      cluster.resume(follower);

      awaitValue(cluster.clientUrl(follower), "/test/paused", "3");
    }
  }

  /** Puts {@code value} at {@code key}, trying again while requests fail. */
  private static void awaitPut(KV kv, String key, String value) {
    Waits.atMost(Duration.ofSeconds(20))
        .ignoreExceptions()
        .until(
            () -> {
              kv.put(bytes(key), bytes(value)).get(2, TimeUnit.SECONDS);
              return true;
            });
  }

  /** Waits until the member at {@code url} alone reads {@code value} at {@code key}. */
  private static void awaitValue(String url, String key, String value) {
    try (Client one = Client.builder().endpoints(url).build()) {
      Waits.atMost(Duration.ofSeconds(10))
          .ignoreExceptions()
          .until(() -> value.equals(value(one.getKVClient(), key)));
    }
  }

  private static String value(KV kv, String key) throws Exception {
    var kvs = kv.get(bytes(key)).get(2, TimeUnit.SECONDS).getKvs();
    return kvs.isEmpty() ? "" : kvs.get(0).getValue().toString(UTF_8);
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, UTF_8);
  }
}

package io.svcreg.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeerCredentialsTest {

  @TempDir Path tmp;

  @Test
  void ffm_connectionFromThisJvm_givesItsPidUidAndGid() throws Exception {
    assumeTrue(Runtime.version().feature() >= 22, "the FFM API is final in JDK 22");
    PeerCredentials credentials = PeerCredentials.load(System.getLogger("test"));
    assertThat(credentials.getClass().getName()).isEqualTo(PeerCredentials.IMPLEMENTATION);

    UnixDomainSocketAddress address = UnixDomainSocketAddress.of(tmp.resolve("s.sock"));
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(address);
      try (SocketChannel client = SocketChannel.open(address);
          SocketChannel accepted = server.accept()) {
        OptionalInt fd = PeerCredentials.fd(accepted);
        assertThat(fd).isPresent();

        PeerCredentials.Ucred expected =
            new PeerCredentials.Ucred(
                ProcessHandle.current().pid(), effectiveId("Uid:"), effectiveId("Gid:"));
        assertThat(credentials.of(fd.getAsInt())).hasValue(expected);
        assertThat(credentials.of(accepted)).hasValue(expected);
        assertThat(credentials.of(client)).hasValue(expected);
      }
    }
  }

  @Test
  void ffm_notAConnectedSocket_empty() throws Exception {
    assumeTrue(Runtime.version().feature() >= 22, "the FFM API is final in JDK 22");
    PeerCredentials credentials = PeerCredentials.load(System.getLogger("test"));

    assertThat(credentials.of(-1)).isEmpty(); // EBADF
    assertThat(credentials.of(0)).isEmpty(); // stdin: ENOTSOCK
  }

  @Test
  void none_givesNothing() throws Exception {
    try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      assertThat(PeerCredentials.NONE.of(c)).isEqualTo(Optional.empty());
    }
  }

  /** The effective id of the {@code Uid:} or {@code Gid:} line of /proc/self/status. */
  private static long effectiveId(String line) throws IOException {
    return Files.readAllLines(Path.of("/proc/self/status")).stream()
        .filter(l -> l.startsWith(line))
        .map(l -> Long.parseLong(l.substring(line.length()).strip().split("\\s+")[1]))
        .findFirst()
        .orElseThrow();
  }
}

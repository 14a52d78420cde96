package io.svcreg.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.svcreg.core.SvcregException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnixSocketTest {

  @TempDir Path tmp;

  @Test
  void parse_modesAndRoles_ownerNeedsReadWriteAndOthersNeverWrite() {
    Path p = tmp.resolve("r.sock");

    assertThat(UnixSocket.Options.parse(p, "0660", "admin").mode()).isEqualTo(0660);
    assertThat(UnixSocket.Options.parse(p, "600", "read").role()).isEqualTo(Role.READ);
    assertThatThrownBy(() -> UnixSocket.Options.parse(p, "0662", "admin"))
        .isInstanceOf(SvcregException.class)
        .hasMessageContaining("writable by every user");
    assertThatThrownBy(() -> UnixSocket.Options.parse(p, "0460", "admin"))
        .hasMessageContaining("the owner needs read and write");
    assertThatThrownBy(() -> UnixSocket.Options.parse(p, "rw", "admin"))
        .hasMessageContaining("expected octal permission bits");
    assertThatThrownBy(() -> UnixSocket.Options.parse(p, "0660", "root"))
        .hasMessageContaining("--unix-socket-role root: expected read or admin");
  }

  @Test
  void check_staleSocketFile_accepted_otherFilesAndLooseDirectoriesRefused() throws Exception {
    Path stale = tmp.resolve("stale.sock");
    listen(stale).close(); // the file stays: nobody listens on it
    Path regular = Files.writeString(tmp.resolve("file.sock"), "x");
    Path loose = Files.createDirectory(tmp.resolve("loose"));
    Files.setPosixFilePermissions(loose, PosixFilePermissions.fromString("rwxrwxrwx"));

    UnixSocket.check(UnixSocket.Options.parse(stale, "0600", "admin"));
    assertThat(stale).exists(); // replaced only when the socket is created
    assertThatThrownBy(() -> UnixSocket.check(UnixSocket.Options.parse(regular, "0600", "admin")))
        .hasMessageContaining("a file that is not a socket is in the way");
    assertThatThrownBy(
            () ->
                UnixSocket.check(
                    UnixSocket.Options.parse(loose.resolve("r.sock"), "0600", "admin")))
        .hasMessageContaining("is writable by other users (and not sticky like /tmp)");
  }

  @Test
  void check_liveSocket_refused() throws Exception {
    Path live = tmp.resolve("live.sock");
    try (ServerSocketChannel s = listen(live)) {

      assertThatThrownBy(() -> UnixSocket.check(UnixSocket.Options.parse(live, "0600", "admin")))
          .hasMessageContaining("a live server listens on it");
    }
  }

  @Test
  void peer_withAPid_printsTheIdsAndNames_withoutOne_theNames() {
    UnixSocket.Peer known =
        new UnixSocket.Peer("svc", "hsu", Optional.of(new PeerCredentials.Ucred(4242, 1000, 1001)));
    UnixSocket.Peer unknown = new UnixSocket.Peer("svc", "hsu", Optional.empty());
    // a process outside svcreg's pid namespace: the kernel gives pid 0
    UnixSocket.Peer outside =
        new UnixSocket.Peer("svc", "hsu", Optional.of(new PeerCredentials.Ucred(0, 1000, 1001)));

    assertThat(known).hasToString("pid 4242 uid 1000 (svc) gid 1001 (hsu)");
    assertThat(unknown).hasToString("user svc group hsu");
    assertThat(outside).hasToString("user svc group hsu");
  }

  private static ServerSocketChannel listen(Path path) throws java.io.IOException {
    ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    s.bind(UnixDomainSocketAddress.of(path));
    return s;
  }
}

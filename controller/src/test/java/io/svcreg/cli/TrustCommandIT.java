package io.svcreg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.deploy.ssh.OpenSshd;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code svcreg trust NODE --specs DIR} against a real OpenSSH server on 127.0.0.3. */
class TrustCommandIT {

  @TempDir Path tmp;

  private Path specs(OpenSshd sshd, Path knownHosts) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("specs"));
    Files.writeString(
        dir.resolve("net.yaml"),
        "apiVersion: svcreg.io/v1\nkind: Network\nmetadata: {name: lan}\nspec:\n"
            + "  type: lan\n  subnet: 127.0.0.0/24\n  nodes:\n"
            + "    - name: node-b\n      address: "
            + sshd.host
            + "\n      ssh: {user: nobody, port: "
            + sshd.port
            + ", identityFile: "
            + sshd.clientKey
            + ", knownHosts: "
            + knownHosts
            + "}\n");
    return dir;
  }

  @Test
  void trust_unknownNode_printsFingerprintAndAppendsKeyOnce() throws Exception {
    try (OpenSshd sshd = OpenSshd.start("127.0.0.3", tmp.resolve("node"), tmp.resolve("id"))) {
      Path known = tmp.resolve("ssh/known_hosts");
      Path specs = specs(sshd, known);

      CliRun wrong =
          CliRun.of("trust", "node-b", "--specs", specs.toString(), "--fingerprint", "SHA256:nope");
      assertThat(wrong.exitCode()).as(wrong.toString()).isEqualTo(Cli.ERROR);
      assertThat(wrong.out()).contains(sshd.fingerprint());
      assertThat(wrong.err()).contains("not the expected SHA256:nope");
      assertThat(known).doesNotExist();

      CliRun first = CliRun.of("trust", "node-b", "--specs", specs.toString());
      assertThat(first.exitCode()).as(first.toString()).isEqualTo(Cli.OK);
      assertThat(first.out()).contains(sshd.fingerprint()).contains("added to " + known);
      String line = Files.readString(known);
      assertThat(line).startsWith("[127.0.0.3]:" + sshd.port + " ssh-ed25519 ");

      CliRun again = CliRun.of("trust", "node-b", "--specs", specs.toString());
      assertThat(again.exitCode()).isEqualTo(Cli.OK);
      assertThat(again.out()).contains("already trusted");
      assertThat(Files.readString(known)).isEqualTo(line);
    }
  }

  @Test
  void trust_undeclaredNode_oneLineError() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("empty"));
    CliRun run = CliRun.of("trust", "ghost", "--specs", dir.toString());
    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines())
        .containsExactly(
            "svcreg trust: no lan or wireguard network in " + dir + " declares a node ghost");
  }
}

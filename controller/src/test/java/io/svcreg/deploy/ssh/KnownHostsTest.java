package io.svcreg.deploy.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.List;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.signature.Signature;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KnownHostsTest {

  @TempDir Path tmp;

  private static List<NamedFactory<Signature>> defaults() throws Exception {
    try (SshClient c = SshClient.setUpDefaultClient()) {
      return List.copyOf(c.getSignatureFactories());
    }
  }

  /** A known hosts file with an ed25519 key (made by ssh-keygen) for {@code host} on port 22. */
  private Path knownEd25519(String host) throws Exception {
    Path key = tmp.resolve("host_ed25519");
    OpenSshd.keygen(key);
    String[] pub = Files.readString(Path.of(key + ".pub")).trim().split(" ");
    return Files.writeString(tmp.resolve("known_hosts"), host + " " + pub[0] + " " + pub[1] + "\n");
  }

  @Test
  void knownTypesFirst_ed25519Known_itsAlgorithmFirst_othersKeptInOrder() throws Exception {
    Path file = knownEd25519("10.253.0.10");
    List<NamedFactory<Signature>> all = defaults();

    List<String> names =
        NamedResource.getNameList(KnownHosts.knownTypesFirst(all, file, "10.253.0.10", 22));

    assertThat(names.get(0)).isEqualTo("ssh-ed25519");
    assertThat(names).hasSameSizeAs(all);
    assertThat(names.subList(1, names.size()))
        .containsExactlyElementsOf(
            NamedResource.getNameList(all).stream().filter(n -> !n.equals("ssh-ed25519")).toList());
  }

  @Test
  void knownTypesFirst_rsaKnown_everyRsaSignatureFirst_thenEd25519() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    Path file = tmp.resolve("known_hosts");
    KnownHosts.append(file, "10.253.0.10", 2222, g.generateKeyPair().getPublic());

    List<String> names =
        NamedResource.getNameList(
            KnownHosts.knownTypesFirst(defaults(), file, "10.253.0.10", 2222));

    assertThat(names.subList(0, 4))
        .containsExactly("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa", "ssh-ed25519");
  }

  @Test
  void knownTypesFirst_ecdsaAndEd25519Known_ed25519First_thenEcdsa() throws Exception {
    Path file = knownEd25519("10.253.0.10");
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    KnownHosts.append(file, "10.253.0.10", 22, g.generateKeyPair().getPublic());

    List<String> names =
        NamedResource.getNameList(KnownHosts.knownTypesFirst(defaults(), file, "10.253.0.10", 22));

    assertThat(names.subList(0, 2)).containsExactly("ssh-ed25519", "ecdsa-sha2-nistp256");
  }

  @Test
  void knownTypesFirst_noLineForTheHost_orNoFile_ed25519FirstAsOpenSsh() throws Exception {
    Path file = knownEd25519("10.253.0.11");
    List<NamedFactory<Signature>> all = defaults();
    List<String> expected = new ArrayList<>(List.of("ssh-ed25519"));
    expected.addAll(
        NamedResource.getNameList(all).stream().filter(n -> !n.equals("ssh-ed25519")).toList());

    assertThat(NamedResource.getNameList(KnownHosts.knownTypesFirst(all, file, "10.253.0.10", 22)))
        .containsExactlyElementsOf(expected);
    assertThat(
            NamedResource.getNameList(
                KnownHosts.knownTypesFirst(all, tmp.resolve("absent"), "10.253.0.10", 22)))
        .containsExactlyElementsOf(expected);
    assertThat(Files.exists(tmp.resolve("absent"))).isFalse();
  }
}

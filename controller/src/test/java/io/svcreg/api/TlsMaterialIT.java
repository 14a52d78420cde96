package io.svcreg.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.svcreg.core.SvcregException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated CA and server certificate, and the token files, on a real file system. */
class TlsMaterialIT {

  @TempDir Path tmp;

  private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

  @Test
  void generated_secondStart_reusesTheCaAndServerCertificate() throws Exception {
    TlsMaterial.Loaded first = TlsMaterial.generated(tmp, "127.0.0.1", NOW);
    String ca = Files.readString(tmp.resolve("ca.crt"));
    TlsMaterial.Loaded again = TlsMaterial.generated(tmp, "127.0.0.1", NOW.plusSeconds(60));
    assertThat(Files.readString(tmp.resolve("ca.crt"))).isEqualTo(ca);
    assertThat(again.chain().getFirst()).isEqualTo(first.chain().getFirst());
    assertThat(first.chain().getFirst().getSubjectAlternativeNames())
        .extracting(l -> (Object) l.get(1))
        .contains((Object) "localhost", "127.0.0.1");
    assertThat(Files.readString(tmp.resolve("server.key"))).startsWith("-----BEGIN PRIVATE KEY");
  }

  @Test
  void generated_otherListenHostOrNearExpiry_reissuesTheServerCertificateWithTheSameCa()
      throws Exception {
    TlsMaterial.Loaded first = TlsMaterial.generated(tmp, "127.0.0.1", NOW);
    TlsMaterial.Loaded other = TlsMaterial.generated(tmp, "127.0.0.7", NOW);
    assertThat(other.chain().getFirst()).isNotEqualTo(first.chain().getFirst());
    assertThat(other.chain().getLast()).isEqualTo(first.chain().getLast());
    assertThat(other.chain().getFirst().getSubjectAlternativeNames())
        .extracting(l -> (Object) l.get(1))
        .contains((Object) "127.0.0.7");
    other.chain().getFirst().verify(first.chain().getLast().getPublicKey());

    Instant nearExpiry =
        other.chain().getFirst().getNotAfter().toInstant().minus(Duration.ofDays(10));
    TlsMaterial.Loaded renewed = TlsMaterial.generated(tmp, "127.0.0.7", nearExpiry);
    assertThat(renewed.chain().getFirst()).isNotEqualTo(other.chain().getFirst());
  }

  @Test
  void generated_secondStart_readsTheKeyAndChainItWrote() throws Exception {
    TlsMaterial.Loaded first = TlsMaterial.generated(tmp, "127.0.0.1", NOW);

    TlsMaterial.Loaded again = TlsMaterial.generated(tmp, "127.0.0.1", NOW.plusSeconds(60));

    assertThat(again.key().getEncoded()).isEqualTo(first.key().getEncoded());
    assertThat(again.chain()).isEqualTo(first.chain());
  }

  @Test
  void userFiles_textAroundTheCertificates_read() throws Exception {
    TlsMaterial.Loaded generated = TlsMaterial.generated(tmp, "127.0.0.1", NOW);
    Path cert =
        Files.writeString(
            tmp.resolve("user.crt"),
            "Bag Attributes\n    friendlyName: server\n"
                + Files.readString(tmp.resolve("server.crt"))
                + "subject=CN = svcreg CA\n"
                + Files.readString(tmp.resolve("ca.crt")));

    TlsMaterial.Loaded user = TlsMaterial.userFiles(cert, tmp.resolve("server.key"));

    assertThat(user.key().getEncoded()).isEqualTo(generated.key().getEncoded());
    assertThat(user.chain()).isEqualTo(generated.chain());
  }

  @Test
  void userFiles_notPem_oneClearLine() throws Exception {
    Path cert = Files.writeString(tmp.resolve("c.pem"), "hello");
    Path key = Files.writeString(tmp.resolve("k.pem"), "hello");
    assertThatThrownBy(() -> TlsMaterial.userFiles(cert, key))
        .isInstanceOf(SvcregException.class)
        .hasMessageContaining("--tls-cert " + cert)
        .hasMessageContaining("no PEM certificate");
  }

  @Test
  void tokens_secondLoad_keepsTheTokensAndRecognizesRoles() throws Exception {
    Tokens t = Tokens.load(tmp.resolve("tokens"), new SecureRandom());
    String admin = Files.readString(tmp.resolve("tokens/admin.token"));
    String read = Files.readString(tmp.resolve("tokens/read.token"));
    Tokens again = Tokens.load(tmp.resolve("tokens"), new SecureRandom());
    assertThat(Files.readString(tmp.resolve("tokens/admin.token"))).isEqualTo(admin);
    assertThat(again.role(admin)).contains(Role.ADMIN);
    assertThat(t.role(read)).contains(Role.READ);
    assertThat(t.role(admin + "x")).isEmpty();
    assertThat(t.role("")).isEmpty();
    assertThat(Files.getPosixFilePermissions(tmp.resolve("tokens")))
        .extracting(Object::toString)
        .containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE", "OWNER_EXECUTE");
  }
}

package io.svcreg.api;

import io.svcreg.core.SvcregException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The server's TLS key and certificate chain: the user's PEM files, or a CA and a server
 * certificate that the first start creates in {@code {data}/tls} (EC P-256) and later starts reuse,
 * re-issuing the server certificate when its SANs miss the listen host or it expires within 30
 * days.
 */
final class TlsMaterial {

  /** The server's key, its chain (server first), and the CA file when generated here. */
  record Loaded(PrivateKey key, List<X509Certificate> chain, Path certFile, Path caFile) {}

  private static final Duration RENEW_BEFORE = Duration.ofDays(30);

  private TlsMaterial() {}

  /** The user's PEM certificate (chain) and key; one clear line when they cannot be used. */
  static Loaded userFiles(Path certFile, Path keyFile) {
    List<X509Certificate> chain = readCertificates(certFile, "--tls-cert");
    PrivateKey key = readKey(keyFile, "--tls-key");
    return new Loaded(key, chain, certFile, null);
  }

  /**
   * The generated material in {@code tlsDir} ({@code ca.crt}, {@code ca.key}, {@code server.crt},
   * {@code server.key}), created or re-issued as needed for {@code host}.
   */
  static Loaded generated(Path tlsDir, String host, Instant now) {
    try {
      Files.createDirectories(tlsDir);
    } catch (IOException e) {
      throw new SvcregException("cannot create " + tlsDir + ": " + e.getMessage(), e);
    }
    Path caCrt = tlsDir.resolve("ca.crt");
    Path caKey = tlsDir.resolve("ca.key");
    Path srvCrt = tlsDir.resolve("server.crt");
    Path srvKey = tlsDir.resolve("server.key");
    X509Certificate ca;
    PrivateKey caPrivate;
    if (Files.exists(caCrt) && Files.exists(caKey)) {
      ca = readCertificates(caCrt, "the CA certificate").getFirst();
      caPrivate = readKey(caKey, "the CA key");
    } else {
      KeyPair kp = newKeyPair();
      ca = TlsIssuer.caCertificate(kp, now);
      caPrivate = kp.getPrivate();
      TlsIssuer.writeKey(caKey, caPrivate);
      TlsIssuer.writePem(caCrt, ca);
    }
    Set<String> names = sans(host);
    if (Files.exists(srvCrt) && Files.exists(srvKey)) {
      X509Certificate server = readCertificates(srvCrt, "the server certificate").getFirst();
      if (covers(server, names)
          && server.getNotAfter().toInstant().isAfter(now.plus(RENEW_BEFORE))
          && issuedBy(server, ca)) {
        return new Loaded(readKey(srvKey, "the server key"), List.of(server, ca), srvCrt, caCrt);
      }
    }
    KeyPair kp = newKeyPair();
    X509Certificate server = TlsIssuer.serverCertificate(kp, names, ca, caPrivate, now);
    TlsIssuer.writeKey(srvKey, kp.getPrivate());
    TlsIssuer.writePem(srvCrt, server);
    return new Loaded(kp.getPrivate(), List.of(server, ca), srvCrt, caCrt);
  }

  /** The SHA-256 fingerprint of a certificate, as {@code AB:CD:...}. */
  static String fingerprint(X509Certificate cert) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
      return HexFormat.ofDelimiter(":").withUpperCase().formatHex(d);
    } catch (GeneralSecurityException e) {
      throw new SvcregException("cannot compute a certificate fingerprint: " + e.getMessage(), e);
    }
  }

  /** localhost, 127.0.0.1, ::1 and the listen host (unless it is a wildcard address). */
  static Set<String> sans(String host) {
    Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
    String h =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    if (!h.isEmpty() && !h.equals("0.0.0.0") && !h.equals("::")) {
      names.add(normalizeIp(h));
    }
    return names;
  }

  private static String normalizeIp(String h) {
    if (isIp(h)) {
      try {
        return InetAddress.getByName(h).getHostAddress();
      } catch (UnknownHostException e) {
        return h;
      }
    }
    return h.toLowerCase(Locale.ROOT);
  }

  static boolean isIp(String h) {
    return h.contains(":") || h.matches("[0-9.]+");
  }

  private static boolean covers(X509Certificate cert, Set<String> names) {
    Set<String> have = new LinkedHashSet<>();
    try {
      Collection<List<?>> alt = cert.getSubjectAlternativeNames();
      if (alt != null) {
        for (List<?> entry : alt) {
          if (entry.size() >= 2 && entry.get(1) instanceof String v) {
            have.add(normalizeIp(v));
          }
        }
      }
    } catch (CertificateParsingException e) {
      return false;
    }
    return names.stream().map(TlsMaterial::normalizeIp).allMatch(have::contains);
  }

  private static boolean issuedBy(X509Certificate cert, X509Certificate ca) {
    try {
      cert.verify(ca.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static KeyPair newKeyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new SvcregException("cannot generate a key: " + e.getMessage(), e);
    }
  }

  /**
   * The certificates of a PEM file. The JDK reads plain PEM certificates itself; Bouncy Castle (a
   * signed jar, slow to load and kept out of the JVM's class-data archive) reads the rest, so a
   * start with valid generated material does not load it.
   */
  private static List<X509Certificate> readCertificates(Path file, String what) {
    try (InputStream in = Files.newInputStream(file)) {
      List<X509Certificate> out = new ArrayList<>();
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        if (c instanceof X509Certificate x) {
          out.add(x);
        }
      }
      if (!out.isEmpty()) {
        return out;
      }
    } catch (IOException | CertificateException | RuntimeException e) {
      // not what the JDK reads (text around the blocks, other PEM objects): Bouncy Castle decides
    }
    return TlsIssuer.readCertificates(file, what);
  }

  /**
   * The private key of a PEM file: an unencrypted PKCS#8 key ({@code BEGIN PRIVATE KEY}, as this
   * class writes them) is read by the JDK; other forms (traditional {@code BEGIN EC PRIVATE KEY},
   * {@code BEGIN RSA PRIVATE KEY}) by Bouncy Castle.
   */
  private static PrivateKey readKey(Path file, String what) {
    try {
      String text = Files.readString(file, StandardCharsets.US_ASCII);
      int begin = text.indexOf(PKCS8_BEGIN);
      int end = text.indexOf(PKCS8_END);
      if (begin >= 0 && end > begin) {
        byte[] der =
            Base64.getMimeDecoder().decode(text.substring(begin + PKCS8_BEGIN.length(), end));
        for (String algorithm : KEY_ALGORITHMS) {
          try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
          } catch (GeneralSecurityException e) {
            // another algorithm
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // Bouncy Castle decides and reports
    }
    return TlsIssuer.readKey(file, what);
  }

  private static final String PKCS8_BEGIN = "-----BEGIN PRIVATE KEY-----";
  private static final String PKCS8_END = "-----END PRIVATE KEY-----";
  private static final List<String> KEY_ALGORITHMS =
      List.of("EC", "RSA", "Ed25519", "Ed448", "RSASSA-PSS");
}

package io.svcreg.api;

import io.svcreg.core.SvcregException;
import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * What needs Bouncy Castle: issuing the CA and server certificates, writing them and their keys as
 * PEM, and reading PEM forms the JDK does not read. Kept apart from {@link TlsMaterial} so that a
 * start that only reads valid material never loads Bouncy Castle (a signed jar: each start would
 * verify its signatures, and the JVM's class-data archive cannot hold its classes).
 */
final class TlsIssuer {

  private static final Duration CA_VALIDITY = Duration.ofDays(3650);
  private static final Duration SERVER_VALIDITY = Duration.ofDays(825);

  private TlsIssuer() {}

  static X509Certificate caCertificate(KeyPair kp, Instant now) {
    try {
      X500Name name = new X500Name("CN=svcreg local CA,O=svcreg");
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              name,
              serial(),
              Date.from(now.minus(Duration.ofMinutes(5))),
              Date.from(now.plus(CA_VALIDITY)),
              name,
              kp.getPublic());
      JcaX509ExtensionUtils u = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      b.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      b.addExtension(
          Extension.subjectKeyIdentifier, false, u.createSubjectKeyIdentifier(kp.getPublic()));
      return sign(b, kp.getPrivate());
    } catch (IOException | GeneralSecurityException e) {
      throw new SvcregException("cannot create the CA certificate: " + e.getMessage(), e);
    }
  }

  static X509Certificate serverCertificate(
      KeyPair kp, Set<String> names, X509Certificate ca, PrivateKey caKey, Instant now) {
    try {
      Instant notAfter = now.plus(SERVER_VALIDITY);
      if (notAfter.isAfter(ca.getNotAfter().toInstant())) {
        notAfter = ca.getNotAfter().toInstant();
      }
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              ca,
              serial(),
              Date.from(now.minus(Duration.ofMinutes(5))),
              Date.from(notAfter),
              new X500Name("CN=svcreg server,O=svcreg"),
              kp.getPublic());
      JcaX509ExtensionUtils u = new JcaX509ExtensionUtils();
      List<GeneralName> alt = new ArrayList<>();
      for (String n : names) {
        alt.add(
            new GeneralName(TlsMaterial.isIp(n) ? GeneralName.iPAddress : GeneralName.dNSName, n));
      }
      b.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(alt.toArray(GeneralName[]::new)));
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      b.addExtension(
          Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      b.addExtension(
          Extension.subjectKeyIdentifier, false, u.createSubjectKeyIdentifier(kp.getPublic()));
      b.addExtension(Extension.authorityKeyIdentifier, false, u.createAuthorityKeyIdentifier(ca));
      return sign(b, caKey);
    } catch (IOException | GeneralSecurityException e) {
      throw new SvcregException("cannot create the server certificate: " + e.getMessage(), e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key)
      throws CertificateException {
    try {
      ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
      return new JcaX509CertificateConverter().getCertificate(b.build(signer));
    } catch (OperatorCreationException e) {
      throw new SvcregException("cannot sign a certificate: " + e.getMessage(), e);
    }
  }

  private static BigInteger serial() {
    return new BigInteger(128, new SecureRandom()).setBit(127);
  }

  static List<X509Certificate> readCertificates(Path file, String what) {
    List<X509Certificate> out = new ArrayList<>();
    try (Reader r = Files.newBufferedReader(file);
        PEMParser p = new PEMParser(r)) {
      JcaX509CertificateConverter conv = new JcaX509CertificateConverter();
      for (Object o = p.readObject(); o != null; o = p.readObject()) {
        if (o instanceof X509CertificateHolder h) {
          out.add(conv.getCertificate(h));
        }
      }
    } catch (IOException | CertificateException | RuntimeException e) {
      throw new SvcregException(
          what + " " + file + " cannot be read as a PEM certificate: " + e.getMessage(), e);
    }
    if (out.isEmpty()) {
      throw new SvcregException(
          what + " " + file + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    return out;
  }

  static PrivateKey readKey(Path file, String what) {
    try (Reader r = Files.newBufferedReader(file);
        PEMParser p = new PEMParser(r)) {
      JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
      for (Object o = p.readObject(); o != null; o = p.readObject()) {
        if (o instanceof PrivateKeyInfo info) {
          return conv.getPrivateKey(info);
        }
        if (o instanceof PEMKeyPair pair) {
          return conv.getPrivateKey(pair.getPrivateKeyInfo());
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new SvcregException(
          what + " " + file + " cannot be read as a PEM private key: " + e.getMessage(), e);
    }
    throw new SvcregException(
        what + " " + file + " holds no unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)");
  }

  static void writeKey(Path file, PrivateKey key) {
    try {
      StringWriter w = new StringWriter();
      try (JcaPEMWriter pem = new JcaPEMWriter(w)) {
        pem.writeObject(new JcaPKCS8Generator(key, null));
      }
      Tokens.writeSecret(file, w.toString());
    } catch (IOException e) {
      throw new SvcregException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  static void writePem(Path file, X509Certificate cert) {
    try {
      StringWriter w = new StringWriter();
      try (JcaPEMWriter pem = new JcaPEMWriter(w)) {
        pem.writeObject(cert);
      }
      Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
      Files.writeString(tmp, w.toString());
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new SvcregException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}

package io.svcreg.deploy.ssh;

import java.io.IOException;
import java.security.PublicKey;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.future.ConnectFuture;
import org.apache.sshd.client.session.ClientSession;

/**
 * Reads a node's host key without logging in (like {@code ssh-keyscan}), for {@code svcreg trust}:
 * the key is taken during the key exchange and the connection is then dropped.
 */
public final class HostKeyScan {

  /** A host key and its SHA256 fingerprint. */
  public record Key(PublicKey key, String fingerprint) {}

  private HostKeyScan() {}

  /** The host key {@code target} presents; fails with a one-line message when none arrives. */
  public static Key scan(SshTarget target, Duration timeout) throws IOException {
    AtomicReference<PublicKey> seen = new AtomicReference<>();
    SshClient client = SshClient.setUpDefaultClient();
    client.setHostConfigEntryResolver(
        org.apache.sshd.client.config.hosts.HostConfigEntryResolver.EMPTY);
    // the key the controller will be shown: asked for in the same order (KnownHosts)
    client.setSignatureFactories(
        KnownHosts.knownTypesFirst(
            client.getSignatureFactories(), target.knownHosts(), target.host(), target.port()));
    client.setServerKeyVerifier(
        (session, remote, key) -> {
          seen.set(key);
          return false; // only the key is wanted: never log in here
        });
    client.start();
    try {
      ConnectFuture f = client.connect(target.user(), target.host(), target.port());
      if (!f.await(timeout) || f.getException() != null) {
        throw new IOException(
            "cannot connect to "
                + target.describe()
                + (f.getException() == null
                    ? ": no answer"
                    : ": " + SshConnection.rootMessage(f.getException())));
      }
      try (ClientSession s = f.getSession()) {
        s.waitFor(
            java.util.EnumSet.of(
                ClientSession.ClientSessionEvent.CLOSED,
                ClientSession.ClientSessionEvent.WAIT_AUTH),
            timeout);
      }
    } finally {
      client.stop();
    }
    PublicKey key = seen.get();
    if (key == null) {
      throw new IOException(target.describe() + " presented no host key");
    }
    return new Key(key, KnownHosts.fingerprint(key));
  }

  /** Appends {@code key} as {@code target}'s host key to its known hosts file. */
  public static void trust(SshTarget target, Key key) throws IOException {
    KnownHosts.append(target.knownHosts(), target.host(), target.port(), key.key());
  }

  /** Whether {@code target}'s known hosts file already holds {@code key} for it. */
  public static boolean known(SshTarget target, Key key) throws IOException {
    try {
      return KnownHosts.keys(target.knownHosts(), target.host(), target.port()).stream()
          .anyMatch(k -> org.apache.sshd.common.config.keys.KeyUtils.compareKeys(k, key.key()));
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("cannot read " + target.knownHosts() + ": " + e.getMessage(), e);
    }
  }
}

package io.svcreg.deploy.ssh;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.sshd.client.config.hosts.KnownHostEntry;
import org.apache.sshd.client.keyverifier.ServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.keyprovider.KeyPairProvider;

/**
 * Verifies a node's host key against its {@code known_hosts} file (OpenSSH format, hashed names
 * too): a host with no entry, or whose key differs from every entry, is refused, and {@link
 * #refusal} says why, with the key's SHA256 fingerprint. Revoked ({@code @revoked}) entries never
 * match. Nothing is ever added by the verifier: {@link #append} (the {@code trust} command) does.
 */
final class KnownHosts implements ServerKeyVerifier {

  private final Path file;
  private final String host;
  private final int port;
  private volatile Optional<String> refusal = Optional.empty();

  KnownHosts(Path file, String host, int port) {
    this.file = file;
    this.host = host;
    this.port = port;
  }

  @Override
  public boolean verifyServerKey(ClientSession session, SocketAddress remote, PublicKey key) {
    String fp = fingerprint(key);
    List<PublicKey> known;
    try {
      known = keys(file, host, port);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      refusal =
          Optional.of(
              "cannot read the known hosts file "
                  + file
                  + ": "
                  + e.getMessage()
                  + "; the host key of "
                  + name(host, port)
                  + " is "
                  + fp);
      return false;
    }
    if (known.stream().anyMatch(k -> KeyUtils.compareKeys(k, key))) {
      refusal = Optional.empty();
      return true;
    }
    refusal =
        Optional.of(
            known.isEmpty()
                ? "the host key of "
                    + name(host, port)
                    + " is unknown ("
                    + fp
                    + ", not in "
                    + file
                    + "); check it and accept it with `svcreg trust NODE`"
                : "the host key of "
                    + name(host, port)
                    + " CHANGED: it is now "
                    + fp
                    + ", which does not match "
                    + file
                    + "; if the node was reinstalled, remove its old line there and run"
                    + " `svcreg trust NODE`, else someone may be intercepting the connection");
    return false;
  }

  /** Why the last key was refused, if it was. */
  Optional<String> refusal() {
    return refusal;
  }

  /** The keys {@code file} lists for {@code host}:{@code port} (none when it does not exist). */
  static List<PublicKey> keys(Path file, String host, int port)
      throws IOException, GeneralSecurityException {
    if (!Files.exists(file)) {
      return List.of();
    }
    List<PublicKey> out = new ArrayList<>();
    for (KnownHostEntry e : KnownHostEntry.readKnownHostEntries(file)) {
      if ("revoked".equals(e.getMarker()) || e.getKeyEntry() == null) {
        continue;
      }
      boolean match =
          e.getHashedEntry() != null
              ? e.getHashedEntry().isHostMatch(host, port)
              : e.isHostMatch(host, port);
      if (match) {
        out.add(
            e.getKeyEntry()
                .resolvePublicKey(null, Collections.emptyMap(), PublicKeyEntryResolver.FAILING));
      }
    }
    return out;
  }

  /**
   * {@code algorithms} (host key signature algorithms) in the order OpenSSH asks a server for them:
   * those of the key types {@code file} lists for {@code host}:{@code port} first, then the others,
   * ed25519's first in each group and the rest as they were. A server offers several host keys and
   * the first algorithm both sides know picks one, so without this a node whose known line holds
   * its ed25519 key would show its ECDSA key and be refused as changed, and a node with no line
   * would show its ECDSA key (MINA asks for ECDSA first) where {@code ssh} and {@code svcreg
   * trust}'s advice name the ed25519 one. A file that cannot be read counts as listing none (the
   * verifier says why).
   */
  static <T extends NamedResource> List<T> knownTypesFirst(
      List<T> algorithms, Path file, String host, int port) {
    Set<String> types = new HashSet<>();
    try {
      for (PublicKey k : keys(file, host, port)) {
        types.add(KeyUtils.getKeyType(k));
      }
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      types.clear();
    }
    List<T> ordered = new ArrayList<>(algorithms);
    ordered.sort(Comparator.comparingInt(a -> rank(a, types)));
    return ordered;
  }

  /** Known key types before the others, and in each group ed25519's algorithm first. */
  private static int rank(NamedResource algorithm, Set<String> known) {
    String type = KeyUtils.getCanonicalKeyType(algorithm.getName());
    int group = known.contains(type) ? 0 : 2;
    return type.equals(KeyPairProvider.SSH_ED25519) ? group : group + 1;
  }

  /** The key's OpenSSH SHA256 fingerprint, e.g. {@code SHA256:...}. */
  static String fingerprint(PublicKey key) {
    return KeyUtils.getFingerPrint(key);
  }

  /** Appends a line for {@code host}:{@code port} with {@code key} to {@code file}. */
  static void append(Path file, String host, int port, PublicKey key) throws IOException {
    StringBuilder line = new StringBuilder(name(host, port)).append(' ');
    PublicKeyEntry.appendPublicKeyEntry(line, key);
    line.append('\n');
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    if (Files.exists(file) && Files.size(file) > 0) {
      byte[] all = Files.readAllBytes(file);
      if (all[all.length - 1] != '\n') {
        line.insert(0, '\n');
      }
    }
    Files.writeString(
        file,
        line,
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND,
        StandardOpenOption.WRITE);
  }

  /** The host as OpenSSH writes it: {@code host} on port 22, else {@code [host]:port}. */
  static String name(String host, int port) {
    return port == 22 ? host : "[" + host + "]:" + port;
  }
}

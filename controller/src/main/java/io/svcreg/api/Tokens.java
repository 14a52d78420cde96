package io.svcreg.api;

import io.svcreg.core.SvcregException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * The bearer tokens of the API, one per role in {@code {data}/tokens/<role>.token} (mode 0600,
 * directory 0700): 32 random bytes, base64url, created at first start and never overwritten.
 */
final class Tokens {

  private final Map<Role, byte[]> tokens;
  private final Map<Role, Path> files;

  private Tokens(Map<Role, byte[]> tokens, Map<Role, Path> files) {
    this.tokens = tokens;
    this.files = files;
  }

  /** Reads the token files in {@code dir}, creating the missing ones. */
  static Tokens load(Path dir, SecureRandom random) {
    try {
      Files.createDirectories(dir);
      restrictDirectory(dir);
    } catch (IOException e) {
      throw new SvcregException("cannot create " + dir + ": " + e.getMessage(), e);
    }
    Map<Role, byte[]> tokens = new EnumMap<>(Role.class);
    Map<Role, Path> files = new EnumMap<>(Role.class);
    for (Role r : Role.values()) {
      Path file = dir.resolve(r.wireName() + ".token");
      files.put(r, file);
      try {
        if (!Files.exists(file)) {
          byte[] raw = new byte[32];
          random.nextBytes(raw);
          String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
          try {
            createSecret(file, token);
          } catch (FileAlreadyExistsException raced) {
            // another start wrote it first: use that one
          }
        }
        String token = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (token.length() < 16) {
          throw new SvcregException(
              "token file " + file + " holds fewer than 16 characters; delete it to get a new one");
        }
        tokens.put(r, token.getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new SvcregException("cannot read or create " + file + ": " + e.getMessage(), e);
      }
    }
    return new Tokens(tokens, files);
  }

  /** The role of a presented token; empty when it is none of ours (compared in constant time). */
  Optional<Role> role(String presented) {
    byte[] p = presented.getBytes(StandardCharsets.UTF_8);
    Role found = null;
    for (Role r : Role.values()) {
      if (MessageDigest.isEqual(p, tokens.get(r))) {
        found = r;
      }
    }
    return Optional.ofNullable(found);
  }

  /** The token file of a role. */
  Path file(Role role) {
    return files.get(role);
  }

  /** Makes {@code dir} accessible to its owner only (where the file system has POSIX modes). */
  static void restrictDirectory(Path dir) throws IOException {
    if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
  }

  /** Writes a new file readable by its owner only; fails if it exists. */
  private static void createSecret(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    writeOwnerOnly(tmp, content);
    try {
      Files.createLink(file, tmp);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Writes (or replaces) a file readable by its owner only, atomically. */
  static void writeSecret(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    writeOwnerOnly(tmp, content);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void writeOwnerOnly(Path file, String content) throws IOException {
    if (Files.getFileStore(file.getParent()).supportsFileAttributeView("posix")) {
      Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } else {
      Files.createFile(file);
    }
    Files.writeString(file, content, StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
  }
}

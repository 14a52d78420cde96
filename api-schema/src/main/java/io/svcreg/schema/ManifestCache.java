package io.svcreg.schema;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.zip.CRC32;

/**
 * Package manifests kept in a file across restarts, so that a start does not parse every manifest
 * again: each entry is a manifest that read without a problem, with the stamp (modification time,
 * size and inode of {@code manifest.yaml} or of the {@code .tar.gz}) it had when it was read. An
 * entry is used only while its file's stamp is unchanged (checked by {@link Packages}). A file
 * written for other manifest classes, or one that does not read whole (its CRC-32 differs), is
 * ignored.
 */
final class ManifestCache {

  /** The file's first bytes; then the format, the shape, the entries and a CRC-32 of them all. */
  static final int MAGIC = 0x7376636d; // "svcm"

  /** The file's layout; a file with another one is ignored. */
  static final int FORMAT = 2;

  private ManifestCache() {}

  /**
   * The manifests in {@code file} by absolute package path (empty when there is no file, or it does
   * not read, or it was written for other manifest classes).
   */
  static Map<Path, Packages.Resolved> read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      return Map.of();
    }
    if (bytes.length < 4) {
      return Map.of();
    }
    CRC32 crc = new CRC32();
    crc.update(bytes, 0, bytes.length - 4);
    if ((int) crc.getValue() != ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt()) {
      return Map.of(); // torn or foreign: every manifest is read again and the file rewritten
    }
    try {
      DataInputStream in =
          new DataInputStream(new ByteArrayInputStream(bytes, 0, bytes.length - 4));
      if (in.readInt() != MAGIC || in.readInt() != FORMAT || !SHAPE.equals(in.readUTF())) {
        return Map.of();
      }
      Reader r = new Reader(in);
      int n = in.readInt();
      Map<Path, Packages.Resolved> out = HashMap.newHashMap(n);
      for (int i = 0; i < n; i++) {
        String key = r.string();
        long stamp = in.readLong();
        PackageManifest m = r.manifest();
        Path p = Path.of(key);
        out.put(p, new Packages.Resolved(p, key, stamp, m, null, List.of()));
      }
      return in.available() == 0 ? out : Map.of();
    } catch (IOException | RuntimeException e) {
      return Map.of();
    }
  }

  /** Writes {@code manifests} to {@code file} atomically (a temporary file renamed over it). */
  static void write(Path file, Collection<Packages.Resolved> manifests) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(MAGIC);
    out.writeInt(FORMAT);
    out.writeUTF(SHAPE);
    out.writeInt(manifests.size());
    for (Packages.Resolved r : manifests) {
      string(out, r.key());
      out.writeLong(r.stamp());
      manifest(out, r.manifest());
    }
    out.flush();
    CRC32 crc = new CRC32();
    crc.update(bytes.toByteArray());
    out.writeInt((int) crc.getValue());
    out.flush();
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.write(tmp, bytes.toByteArray());
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void manifest(DataOutputStream out, PackageManifest m) throws IOException {
    string(out, m.name());
    string(out, m.version());
    optional(out, m.description());
    out.writeByte(m.serviceType().map(Enum::ordinal).orElse(-1));
    out.writeBoolean(m.image().isPresent());
    if (m.image().isPresent()) {
      string(out, m.image().get());
    }
    out.writeInt(m.ports().size());
    for (Endpoint e : m.ports()) {
      string(out, e.name());
      out.writeInt(e.port());
      out.writeByte(e.protocol() == null ? -1 : e.protocol().ordinal());
    }
    strings(out, m.dependsOn());
    strings(out, m.requiredCommands());
    strings(out, m.requiredLibraries());
    out.writeBoolean(m.health().isPresent());
    if (m.health().isPresent()) {
      HealthCheck h = m.health().get();
      string(out, h.script());
      out.writeLong(h.interval().millis());
      out.writeLong(h.timeout().millis());
      out.writeInt(h.failureThreshold());
    }
  }

  private static void strings(DataOutputStream out, List<String> list) throws IOException {
    out.writeInt(list.size());
    for (String s : list) {
      string(out, s);
    }
  }

  private static void optional(DataOutputStream out, String s) throws IOException {
    out.writeBoolean(s != null);
    if (s != null) {
      string(out, s);
    }
  }

  private static void string(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  /** Decodes entries, sharing equal strings. */
  private static final class Reader {

    private final DataInputStream in;
    private final Map<String, String> strings = new HashMap<>();

    Reader(DataInputStream in) {
      this.in = in;
    }

    PackageManifest manifest() throws IOException {
      String name = string();
      String version = string();
      String description = in.readBoolean() ? string() : null;
      int type = in.readByte();
      Optional<ExecutionType> serviceType =
          type < 0 ? Optional.empty() : Optional.of(ExecutionType.values()[type]);
      Optional<String> image = in.readBoolean() ? Optional.of(string()) : Optional.empty();
      int ports = count();
      List<Endpoint> endpoints = new ArrayList<>(ports);
      for (int i = 0; i < ports; i++) {
        String n = string();
        int port = in.readInt();
        int protocol = in.readByte();
        endpoints.add(new Endpoint(n, port, protocol < 0 ? null : Protocol.values()[protocol]));
      }
      List<String> dependsOn = strings();
      List<String> commands = strings();
      List<String> libraries = strings();
      Optional<HealthCheck> health = Optional.empty();
      if (in.readBoolean()) {
        health =
            Optional.of(
                new HealthCheck(
                    string(),
                    new SpecDuration(in.readLong()),
                    new SpecDuration(in.readLong()),
                    in.readInt()));
      }
      return new PackageManifest(
          name,
          version,
          description,
          serviceType,
          image,
          endpoints,
          dependsOn,
          commands,
          libraries,
          health);
    }

    List<String> strings() throws IOException {
      int n = count();
      if (n == 0) {
        return List.of();
      }
      List<String> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        out.add(string());
      }
      return out;
    }

    String string() throws IOException {
      int n = count();
      byte[] b = in.readNBytes(n);
      if (b.length != n) {
        throw new EOFException();
      }
      String s = new String(b, StandardCharsets.UTF_8);
      String shared = strings.putIfAbsent(s, s);
      return shared == null ? s : shared;
    }

    private int count() throws IOException {
      int n = in.readInt();
      if (n < 0 || n > in.available()) {
        throw new IOException("bad length " + n);
      }
      return n;
    }
  }

  /**
   * The shape of the manifest's classes (their components and enum constants): a file written by a
   * build whose classes differ is not trusted.
   */
  static final String SHAPE =
      shape(
          PackageManifest.class,
          Endpoint.class,
          HealthCheck.class,
          SpecDuration.class,
          ExecutionType.class,
          Protocol.class);

  static String shape(Class<?>... types) {
    StringBuilder b = new StringBuilder();
    for (Class<?> t : types) {
      b.append(t.getSimpleName()).append('(');
      if (t.isRecord()) {
        b.append(
            Arrays.stream(t.getRecordComponents())
                .map(ManifestCache::component)
                .collect(Collectors.joining(",")));
      } else if (t.isEnum()) {
        b.append(
            Arrays.stream(t.getEnumConstants())
                .map(e -> ((Enum<?>) e).name())
                .collect(Collectors.joining(",")));
      }
      b.append(')');
    }
    return b.toString();
  }

  private static String component(RecordComponent c) {
    return c.getName() + ":" + c.getGenericType().getTypeName();
  }
}

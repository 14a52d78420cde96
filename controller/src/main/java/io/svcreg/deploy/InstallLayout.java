package io.svcreg.deploy;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.svcreg.schema.ExecutionType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The rules every deployer follows for install directories, on this host or on a node: their names,
 * the files a package must have, and which versions are kept after an install.
 */
public final class InstallLayout {

  /** Files every package must have (but a docker package, {@link #REQUIRED_DOCKER}). */
  public static final List<String> REQUIRED =
      List.of("manifest.yaml", "scripts/start.sh", "scripts/stop.sh");

  /** Files a package whose {@code service.type} is {@code docker} must have: its image runs. */
  public static final List<String> REQUIRED_DOCKER = List.of("manifest.yaml");

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private InstallLayout() {}

  /**
   * The directory name of a version: the service name with every character outside {@code
   * [a-zA-Z0-9_-]} replaced by {@code _}, a {@code -}, and the version with every character outside
   * {@code [a-zA-Z0-9._-]} replaced by {@code _} (and a leading {@code .} too).
   */
  public static String directoryName(String service, String version) {
    if (service.isEmpty() || version.isEmpty()) {
      throw new IllegalArgumentException("service and version must not be empty");
    }
    String v = version.replaceAll("[^a-zA-Z0-9._-]", "_");
    if (v.startsWith(".")) {
      v = "_" + v.substring(1);
    }
    return sanitizedName(service) + "-" + v;
  }

  /** The service name with every character outside {@code [a-zA-Z0-9_-]} replaced by {@code _}. */
  public static String sanitizedName(String service) {
    return service.replaceAll("[^a-zA-Z0-9_-]", "_");
  }

  /**
   * Of the installed versions {@code markers}, those to remove when {@code current} was installed:
   * all but {@code current} and the previous one (the most recently started other version, or if
   * none was ever started, the most recently installed one).
   */
  public static List<InstallMarker> toPrune(List<InstallMarker> markers, String current) {
    List<InstallMarker> others =
        markers.stream().filter(m -> !m.version().equals(current)).toList();
    Optional<InstallMarker> previous = others.stream().max(InstallMarker.BY_ACTIVITY);
    return others.stream().filter(m -> previous.isEmpty() || m != previous.get()).toList();
  }

  /** Orders versions for {@link Deployer#installed}: most recently started or installed first. */
  public static List<String> byActivity(List<InstallMarker> markers) {
    return markers.stream()
        .sorted(
            Comparator.comparing(InstallMarker::lastActivity)
                .thenComparing(InstallMarker::version)
                .reversed())
        .map(InstallMarker::version)
        .toList();
  }

  /** Whether the install directory {@code home} has the files its package must have. */
  public static boolean hasRequired(Path home) {
    // every package has what a docker package needs; its manifest is read only when the scripts
    // another package needs are not all there
    if (REQUIRED.stream().allMatch(f -> Files.isRegularFile(home.resolve(f)))) {
      return true;
    }
    return required(home).stream().allMatch(f -> Files.isRegularFile(home.resolve(f)));
  }

  /**
   * The files the package in {@code dir} must have: {@link #REQUIRED_DOCKER} when its manifest says
   * {@code service.type: docker}, else {@link #REQUIRED}.
   */
  public static List<String> required(Path dir) {
    return isDocker(dir.resolve("manifest.yaml")) ? REQUIRED_DOCKER : REQUIRED;
  }

  /** Whether {@code manifest} says {@code service.type: docker} (false when it does not read). */
  public static boolean isDocker(Path manifest) {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(manifest, BasicFileAttributes.class);
    } catch (IOException e) {
      return false;
    }
    if (!a.isRegularFile()) {
      return false;
    }
    // read once per file as it is: every check of an installed version asks
    return DOCKER_MANIFESTS.get(
        new ManifestKey(manifest.toAbsolutePath(), a.size(), a.lastModifiedTime(), a.fileKey()),
        k -> readIsDocker(manifest));
  }

  private record ManifestKey(Path path, long size, FileTime modified, Object fileKey) {}

  /** What {@link #isDocker} found for the manifests read last. */
  private static final Cache<ManifestKey, Boolean> DOCKER_MANIFESTS =
      Caffeine.newBuilder().maximumSize(100_000).executor(Runnable::run).build();

  private static boolean readIsDocker(Path manifest) {
    try {
      JsonNode root = YAML.readTree(manifest.toFile());
      return root != null
          && ExecutionType.DOCKER.wireName().equals(root.path("service").path("type").asText(""));
    } catch (IOException e) {
      return false;
    }
  }

  /** Rejects an extracted package without the required files or with a reserved name. */
  public static void checkRequired(Path tmp, Path source) throws IOException, PackageRejected {
    if (Files.exists(tmp.resolve(InstallMarker.FILE), NOFOLLOW_LINKS)) {
      throw PackageRejected.invalid(
          "the package " + source + " contains " + InstallMarker.FILE + ", a name svcreg reserves");
    }
    List<String> required = required(tmp);
    for (String f : required) {
      Path p = tmp.resolve(f);
      if (!Files.isRegularFile(p)) {
        throw PackageRejected.invalid(
            "the package "
                + source
                + " has no "
                + f
                + " (a package needs "
                + String.join(", ", required)
                + ")");
      }
      if (f.startsWith("scripts/")
          && !Files.getPosixFilePermissions(p).contains(PosixFilePermission.OWNER_EXECUTE)) {
        throw PackageRejected.invalid(
            f + " in the package " + source + " is not executable (chmod +x it)");
      }
    }
  }
}

package io.svcreg.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.schema.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Docker images and docker packages for the tests of {@code execution: {type: docker}}, built here
 * from nothing but Debian's {@code busybox-static} ({@code FROM scratch}; no registry is ever
 * contacted), on the local Docker daemon. Each test run names its services and images with a prefix
 * of its own ({@link #prefix}); {@link #removeAll} removes every container and image with it.
 */
public final class ContainerImages {

  /** The static busybox the images are made of. */
  static final Path BUSYBOX = Path.of("/bin/busybox");

  /**
   * A health script, run on the node, that passes while the service answers HTTP (with curl:
   * busybox-static's wget crashes on the host).
   */
  public static final String ANSWERS =
      "exec curl -fsS -m 2 -o /dev/null \"http://$SERVICE_IP:$SERVICE_PORT_HTTP/\"";

  /** A health script that never passes. */
  public static final String NEVER = "echo \"never healthy\"\nexit 1";

  private final String prefix;

  /** Images and names of this run: lower-case {@code it<random>}. */
  public ContainerImages() {
    this.prefix = "it" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
  }

  /** The prefix of this run's service and image names. */
  public String prefix() {
    return prefix;
  }

  /** Fails with what to do when no Docker daemon answers or busybox is not static. */
  public static void requireDocker() {
    Ran info = docker("info", "--format", "{{.ServerVersion}}");
    assertThat(info.exit())
        .as(
            "a Docker daemon answers (docker info: %s); run tools/test, which installs and starts"
                + " one",
            info.output().strip())
        .isZero();
    Ran ldd = run("ldd", BUSYBOX.toString());
    assertThat(Files.isExecutable(BUSYBOX) && ldd.exit() != 0)
        .as(
            "%s is Debian's busybox-static, a static executable (apt-get install busybox-static;"
                + " tools/test installs it); ldd says: %s",
            BUSYBOX, ldd.output().strip())
        .isTrue();
  }

  /**
   * Builds image {@code ref} from scratch: busybox, a page {@code /www/index.html} saying {@code
   * page}, and busybox's httpd serving it on {@code $SERVICE_PORT_HTTP}, under a shell that exits
   * at SIGTERM (a container's PID 1 has no default action for it: docker stop would wait for its
   * timeout, then kill).
   */
  public void build(String ref, String page) {
    build(
        ref,
        page,
        "trap 'exit 0' TERM; /bin/busybox httpd -f -p \"$SERVICE_PORT_HTTP\" -h /www & wait");
  }

  /** Builds image {@code ref} from scratch whose command is busybox's {@code sh -c script}. */
  public void build(String ref, String page, String script) {
    Path dir = temp();
    try {
      Files.copy(BUSYBOX, dir.resolve("busybox"));
      Files.createDirectories(dir.resolve("www"));
      Files.writeString(dir.resolve("www/index.html"), page + "\n");
      Files.writeString(
          dir.resolve("Dockerfile"),
          "FROM scratch\nCOPY busybox /bin/busybox\nCOPY www /www\nCMD [\"/bin/busybox\", \"sh\","
              + " \"-c\", "
              + Json.mapper().writeValueAsString(script)
              + "]\n");
      Ran r = docker("build", "-q", "-t", ref, dir.toString());
      assertThat(r.exit()).as("docker build %s: %s", ref, r.output()).isZero();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      run("rm", "-rf", dir.toString());
    }
  }

  /**
   * Package directory {@code dir} of {@code name} {@code version} running {@code image}, with
   * {@code scripts/health.sh} running {@code health}, and {@code image.tar} ({@code docker save})
   * when {@code withImage}.
   */
  public static Path dockerPackage(
      Path dir, String name, String version, String image, String health, boolean withImage) {
    try {
      Files.createDirectories(dir.resolve("scripts"));
      Files.writeString(
          dir.resolve("manifest.yaml"),
          "name: "
              + name
              + "\nversion: \""
              + version
              + "\"\nservice:\n  type: docker\n  image: "
              + image
              + "\nhealth: {script: scripts/health.sh}\n");
      Path h = dir.resolve("scripts/health.sh");
      Files.writeString(h, "#!/bin/sh\n" + health + "\n");
      Files.setPosixFilePermissions(h, PosixFilePermissions.fromString("rwxr-xr-x"));
      if (withImage) {
        Ran r = docker("save", "-o", dir.resolve(Containers.IMAGE_TAR).toString(), image);
        assertThat(r.exit()).as("docker save %s: %s", image, r.output()).isZero();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }

  /** The names (REPOSITORY:TAG) of every image whose repository contains this run's prefix. */
  public List<String> images() {
    return lines(docker("images", "--format", "{{.Repository}}:{{.Tag}}")).stream()
        .filter(l -> l.contains(prefix))
        .toList();
  }

  /** The names of every container, running or not, whose name contains this run's prefix. */
  public List<String> containers() {
    return lines(docker("ps", "-a", "--format", "{{.Names}}")).stream()
        .filter(l -> l.contains(prefix))
        .toList();
  }

  /** Removes every container and image of this run. */
  public void removeAll() {
    for (String c : containers()) {
      docker("rm", "-f", c);
    }
    for (String i : images()) {
      docker("rmi", "-f", i);
    }
  }

  /** What a command did. */
  public record Ran(int exit, String output) {}

  /** Runs {@code docker ARGS}, for its exit status and output (stdout and stderr). */
  public static Ran docker(String... args) {
    List<String> cmd = new ArrayList<>(List.of("docker"));
    cmd.addAll(Arrays.asList(args));
    return run(cmd.toArray(String[]::new));
  }

  private static Ran run(String... cmd) {
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Ran(-1, out + "(timed out)");
      }
      return new Ran(p.exitValue(), out);
    } catch (IOException e) {
      return new Ran(-1, e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Ran(-1, "interrupted");
    }
  }

  private static List<String> lines(Ran r) {
    return r.output().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
  }

  private static Path temp() {
    try {
      return Files.createTempDirectory("svcreg-image-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

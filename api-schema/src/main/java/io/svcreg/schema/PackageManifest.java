package io.svcreg.schema;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A package's {@code manifest.yaml}: its name and version, how it runs ({@code service.type}, and
 * for {@code docker} the image {@code service.image}), what it listens on ({@code service.ports}),
 * what it depends on, what it needs on the host, and its health check. Its ports, dependencies and
 * health check are the defaults of a service that uses the package.
 */
public record PackageManifest(
    String name,
    String version,
    String description,
    Optional<ExecutionType> serviceType,
    Optional<String> image,
    List<Endpoint> ports,
    List<String> dependsOn,
    List<String> requiredCommands,
    List<String> requiredLibraries,
    Optional<HealthCheck> health) {

  static final Keys KEYS =
      Keys.of("name", "version", "description", "service", "depends_on", "requires", "health");
  private static final Keys SERVICE_KEYS = Keys.of("type", "image", "ports");

  /**
   * A Docker image reference with a tag: {@code NAME:TAG}, the name lower-case path components
   * (optionally after a registry host and port), the tag as Docker allows it.
   */
  private static final java.util.regex.Pattern IMAGE =
      java.util.regex.Pattern.compile(
          "(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
              + "(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

  private static final Keys REQUIRES_KEYS = Keys.of("commands", "libraries");
  private static final Keys HEALTH_KEYS = Keys.of("script", "interval", "timeout");

  public PackageManifest {
    ports = List.copyOf(ports);
    dependsOn = List.copyOf(dependsOn);
    requiredCommands = List.copyOf(requiredCommands);
    requiredLibraries = List.copyOf(requiredLibraries);
  }

  /** The outcome of parsing a manifest: the manifest, or the problems found in it. */
  public sealed interface Parsed {
    /** A valid manifest. */
    record Ok(PackageManifest manifest) implements Parsed {}

    /** An invalid manifest, with its problems (located in the manifest file). */
    record Invalid(List<Problem> problems) implements Parsed {}
  }

  /** Parses manifest text strictly; {@code fileName} names the file in problems. */
  public static Parsed parse(String fileName, String text) {
    return parse(fileName, text, new Interner());
  }

  static Parsed parse(String fileName, String text, Interner interner) {
    List<Problem> problems = new ArrayList<>();
    YamlReader.Result read = YamlReader.read(fileName, text);
    if (read.syntaxError() != null) {
      return new Parsed.Invalid(List.of(read.syntaxError()));
    }
    if (read.documents().size() != 1) {
      problems.add(
          new Problem(
              fileName,
              read.documents().isEmpty() ? 0 : read.documents().get(1).root().line(),
              read.documents().isEmpty() ? 0 : read.documents().get(1).root().column(),
              "",
              read.documents().isEmpty()
                  ? "the manifest is empty; expected name and version"
                  : "expected one YAML document in a manifest, found " + read.documents().size()));
      return new Parsed.Invalid(problems);
    }
    YamlReader.Document doc = read.documents().get(0);
    problems.addAll(doc.problems());
    Fields f = new Fields(fileName, problems, interner);
    Obj o = f.obj(doc.root(), "", doc.root().line(), doc.root().column(), KEYS);
    if (o == null) {
      return new Parsed.Invalid(problems);
    }
    YamlNode n = o.required("name");
    String name = n == null ? null : f.checked(n, "name", Names::dnsLabel);
    YamlNode v = o.required("version");
    String version = v == null ? null : f.checked(v, "version", Names::version);
    String description = o.string("description", false);

    Optional<ExecutionType> type = Optional.empty();
    Optional<String> image = Optional.empty();
    List<Endpoint> ports = List.of();
    Obj service = o.obj("service", false, SERVICE_KEYS);
    if (service != null) {
      YamlNode t = service.get("type");
      if (t != null) {
        type =
            Optional.ofNullable(
                f.enumValue(
                    t, service.path("type"), ExecutionType::parse, ExecutionType.allowed()));
      }
      YamlNode p = service.get("ports");
      if (p != null) {
        ports = SpecFields.endpoints(f, p, service.path("ports"));
      }
      image = image(f, service, type);
    }
    YamlNode d = o.get("depends_on");
    List<String> deps =
        d == null
            ? List.of()
            : SpecFields.distinctStrings(f, d, "depends_on", "dependency", Names::dnsLabel);
    List<String> commands = List.of();
    List<String> libraries = List.of();
    Obj requires = o.obj("requires", false, REQUIRES_KEYS);
    if (requires != null) {
      YamlNode c = requires.get("commands");
      if (c != null) {
        commands =
            SpecFields.distinctStrings(f, c, requires.path("commands"), "command", nonEmpty());
      }
      YamlNode l = requires.get("libraries");
      if (l != null) {
        libraries =
            SpecFields.distinctStrings(f, l, requires.path("libraries"), "library", nonEmpty());
      }
    }
    Optional<HealthCheck> health = Optional.empty();
    Obj h = o.obj("health", false, HEALTH_KEYS);
    if (h != null) {
      YamlNode s = h.required("script");
      String script = s == null ? null : f.checked(s, h.path("script"), Names::relativePath);
      YamlNode i = h.get("interval");
      SpecDuration interval =
          i == null ? HealthCheck.DEFAULT_INTERVAL : f.duration(i, h.path("interval"), false);
      YamlNode to = h.get("timeout");
      SpecDuration timeout =
          to == null ? HealthCheck.DEFAULT_TIMEOUT : f.duration(to, h.path("timeout"), false);
      if (script != null && interval != null && timeout != null) {
        health =
            Optional.of(
                new HealthCheck(
                    f.intern(script), interval, timeout, HealthCheck.DEFAULT_FAILURE_THRESHOLD));
      }
    }
    if (!problems.isEmpty()) {
      return new Parsed.Invalid(problems);
    }
    return new Parsed.Ok(
        new PackageManifest(
            name,
            f.intern(version),
            description == null ? "" : description,
            type,
            image,
            ports,
            deps,
            commands,
            libraries,
            health));
  }

  /**
   * {@code service.image}: required for {@code service.type: docker} (a {@code NAME:TAG}), an error
   * for any other type.
   */
  private static Optional<String> image(Fields f, Obj service, Optional<ExecutionType> type) {
    YamlNode i = service.get("image");
    boolean docker = type.orElse(null) == ExecutionType.DOCKER;
    if (i == null) {
      if (docker) {
        service.required("image");
      }
      return Optional.empty();
    }
    String text =
        f.checked(
            i,
            service.path("image"),
            s ->
                IMAGE.matcher(s).matches()
                    ? null
                    : "`"
                        + s
                        + "` is not an image reference with a tag; expected NAME:TAG, e.g."
                        + " shop/web:1.2.3");
    if (text == null) {
      return Optional.empty();
    }
    if (!docker) {
      f.error(
          i,
          service.path("image"),
          "an image is for service.type docker; this package's type is "
              + type.map(ExecutionType::wireName).orElse("managed_process (the default)"));
      return Optional.empty();
    }
    return Optional.of(f.intern(text));
  }

  private static java.util.function.Function<String, String> nonEmpty() {
    return s -> s.isEmpty() ? "must not be empty" : null;
  }
}

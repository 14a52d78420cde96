package io.svcreg.deploy;

import io.svcreg.schema.Endpoint;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The environment of a service's scripts (start, stop, health), a pure function of its {@link
 * Launch}, its install directory and the controller's own environment.
 *
 * <p>The scripts get a clean environment, not the controller's (which may hold tokens): only the
 * variables in {@link #PASSED_THROUGH} are copied from the controller ({@code PATH} defaults to
 * {@value #DEFAULT_PATH}), so that packages find {@code java} and the like. Then, in increasing
 * precedence:
 *
 * <ol>
 *   <li>{@code spec.env}, which may override passed-through variables (e.g. a service's own {@code
 *       JAVA_HOME}), except names starting with {@code SERVICE_}: that prefix is reserved for the
 *       controller and such entries are ignored;
 *   <li>{@code <DEP>_ADDR} = {@code ip:port} of each dependency's first endpoint (dependency name
 *       upper-cased, {@code -} replaced by {@code _}); a {@code spec.env} entry of the same name is
 *       replaced, other {@code *_ADDR} entries are kept;
 *   <li>{@code SERVICE_NAME}, {@code SERVICE_VERSION}, {@code SERVICE_HOME}, {@code SERVICE_IP} and
 *       {@code SERVICE_PORT_<ENDPOINT>} for each endpoint (name upper-cased, {@code -} → {@code
 *       _}).
 * </ol>
 */
public final class ServiceEnvironment {

  /** The controller's variables that the scripts see (when set). */
  public static final List<String> PASSED_THROUGH =
      List.of("PATH", "JAVA_HOME", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR");

  /** {@code PATH} when the controller has none. */
  public static final String DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

  /** The prefix of the controller's own variables; {@code spec.env} cannot set them. */
  public static final String RESERVED_PREFIX = "SERVICE_";

  /** The variable of the service's pid, given to {@code stop.sh}. */
  public static final String SERVICE_PID = "SERVICE_PID";

  private ServiceEnvironment() {}

  /** The environment of the scripts of {@code launch} installed in {@code home}. */
  public static SortedMap<String, String> of(
      Launch launch, String home, Map<String, String> controllerEnv) {
    TreeMap<String, String> env = new TreeMap<>();
    for (String name : PASSED_THROUGH) {
      String value = controllerEnv.get(name);
      if (value != null) {
        env.put(name, value);
      }
    }
    env.put("PATH", path(controllerEnv));
    launch
        .env()
        .forEach(
            (name, value) -> {
              if (!name.startsWith(RESERVED_PREFIX)) {
                env.put(name, value);
              }
            });
    launch.dependencyAddresses().forEach((dep, addr) -> env.put(variableName(dep) + "_ADDR", addr));
    env.put("SERVICE_NAME", launch.service());
    env.put("SERVICE_VERSION", launch.version());
    env.put("SERVICE_HOME", home);
    env.put("SERVICE_IP", launch.ip().toString());
    for (Endpoint e : launch.endpoints()) {
      env.put("SERVICE_PORT_" + variableName(e.name()), Integer.toString(e.port()));
    }
    return Collections.unmodifiableSortedMap(env);
  }

  /**
   * The {@code PATH} the scripts get from the controller: its own, or {@value #DEFAULT_PATH} when
   * it has none ({@code spec.env} may still set another, see {@link #of}). A package's {@code
   * requires.commands} are looked up in it ({@link Requirements}).
   */
  public static String path(Map<String, String> controllerEnv) {
    return controllerEnv.getOrDefault("PATH", DEFAULT_PATH);
  }

  /**
   * The environment of {@code stop.sh} for the process {@code pid} that svcreg recorded in {@code
   * home} when no launch of it is at hand (a removal, pruning): the variables the process itself
   * was started with ({@code environ}, from {@code /proc/PID/environ}), which hold its {@code
   * SERVICE_*} ones, and {@code SERVICE_PID}; when they cannot be read, {@code SERVICE_NAME},
   * {@code SERVICE_HOME} and {@code PATH} ({@value #DEFAULT_PATH}).
   */
  public static SortedMap<String, String> ofRecorded(
      Map<String, String> environ, String service, String home, long pid) {
    TreeMap<String, String> env = new TreeMap<>();
    if (environ.containsKey("SERVICE_NAME")) {
      env.putAll(environ);
    } else {
      env.put("PATH", DEFAULT_PATH);
      env.put("SERVICE_NAME", service);
      env.put("SERVICE_HOME", home);
    }
    env.put(SERVICE_PID, Long.toString(pid));
    return Collections.unmodifiableSortedMap(env);
  }

  /** Parses {@code /proc/PID/environ}: {@code NAME=value} entries, each ended by a NUL. */
  public static Map<String, String> parseEnviron(byte[] environ) {
    Map<String, String> env = new HashMap<>();
    for (String entry : new String(environ, StandardCharsets.UTF_8).split("\0")) {
      int eq = entry.indexOf('=');
      if (eq > 0) {
        env.put(entry.substring(0, eq), entry.substring(eq + 1));
      }
    }
    return env;
  }

  /** A name as part of a variable name: upper-cased, {@code -} replaced by {@code _}. */
  public static String variableName(String name) {
    return name.toUpperCase(Locale.ROOT).replace('-', '_');
  }
}

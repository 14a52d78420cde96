package io.svcreg.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a package's {@code manifest.yaml} requires of the host it is installed on ({@code
 * requires.commands} and {@code requires.libraries}), and the one rule for whether a host has it,
 * the controller's own host and SSH nodes alike:
 *
 * <ul>
 *   <li>a command is found when it is an executable file (links followed) in one of the absolute
 *       directories of the {@code PATH} the service's scripts get ({@link
 *       ServiceEnvironment#path}); a name with a {@code /} is a path instead, found when it is
 *       absolute and an executable file. Shell builtins and aliases do not count;
 *   <li>a library is found when the dynamic loader's cache lists it by that exact name ({@code
 *       ldconfig -p}), or when a file of that name is in {@code /lib}, {@code /lib64}, {@code
 *       /usr/lib}, {@code /usr/lib64}, {@code /usr/local/lib} or a multiarch directory {@code
 *       /lib/*-linux-*}, {@code /usr/lib/*-linux-*}; a name with a {@code /} is a path, found when
 *       it is absolute and a file.
 * </ul>
 *
 * A package whose {@code service.type} is {@code docker} requires the command {@code docker} too.
 *
 * <p>The rule is a POSIX {@code sh} script ({@link #script}), so that it is the same wherever it
 * runs: the SSH deployer runs it on the node, the local deployer on this host; both read its output
 * with {@link #missing} and report with {@link #failure}.
 */
public record Requirements(List<String> commands, List<String> libraries) {

  /** A package that requires nothing. */
  public static final Requirements NONE = new Requirements(List.of(), List.of());

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final String COMMAND = "command ";
  private static final String LIBRARY = "library ";
  private static final String MISSING = "missing ";
  private static final String DOCKER = "docker";

  /**
   * The rule, as two {@code sh} functions: {@code rq_command NAME} and {@code rq_library NAME}
   * succeed when the host has it ({@code rq_path} is the scripts' {@code PATH}, {@code rq_libs} the
   * output of {@code ldconfig -p}, whose entries are lines {@code <TAB>NAME (flags) => file}).
   */
  private static final String FUNCTIONS =
      """
      rq_nl='
      '
      rq_tab=$(printf '\\t')
      rq_command() {
        case $1 in
          (/*) [ -f "$1" ] && [ -x "$1" ]; return ;;
          (*/*) return 1 ;;
        esac
        rq_rest=$rq_path:
        while [ -n "$rq_rest" ]; do
          rq_dir=${rq_rest%%:*}
          rq_rest=${rq_rest#*:}
          case $rq_dir in
            (/*) [ -f "$rq_dir/$1" ] && [ -x "$rq_dir/$1" ] && return 0 ;;
          esac
        done
        return 1
      }
      rq_library() {
        case $1 in
          (/*) [ -f "$1" ]; return ;;
          (*/*) return 1 ;;
        esac
        case $rq_libs in
          (*"$rq_nl$rq_tab$1 ("*) return 0 ;;
        esac
        for rq_dir in /lib /lib64 /usr/lib /usr/lib64 /usr/local/lib \\
            /lib/*-linux-* /usr/lib/*-linux-*; do
          [ -f "$rq_dir/$1" ] && return 0
        done
        return 1
      }
      """;

  public Requirements {
    commands = List.copyOf(commands);
    libraries = List.copyOf(libraries);
  }

  /** The requirements in {@code manifest} (none when it lists none). */
  public static Requirements read(Path manifest) throws PackageRejected {
    JsonNode root;
    try {
      root = YAML.readTree(manifest.toFile());
    } catch (IOException e) {
      throw PackageRejected.invalid(
          "its manifest.yaml is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
    }
    JsonNode req = root == null ? null : root.path("requires");
    List<String> commands = strings(req, "commands");
    if (InstallLayout.isDocker(manifest) && !commands.contains(DOCKER)) {
      commands.add(DOCKER); // a container needs Docker on the node
    }
    return new Requirements(commands, strings(req, "libraries"));
  }

  /** Whether it requires nothing (then there is nothing to check). */
  public boolean isEmpty() {
    return commands.isEmpty() && libraries.isEmpty();
  }

  /**
   * A POSIX {@code sh} command (a subshell, so it defines nothing in the caller's shell) that
   * prints one line {@code missing command NAME} or {@code missing library NAME} for each
   * requirement the host it runs on does not meet, commands looked up in {@code path}; nothing when
   * all are met. It needs no {@code PATH} of its own but for {@code ldconfig} (also tried in {@code
   * /sbin} and {@code /usr/sbin}).
   */
  public String script(String path) {
    StringBuilder s = new StringBuilder("(\n");
    s.append("rq_path=").append(Shell.quote(path)).append('\n');
    s.append("rq_libs=\n");
    s.append(FUNCTIONS);
    checks(s, "rq_command", COMMAND, commands);
    if (!libraries.isEmpty()) {
      s.append("rq_libs=$( { ldconfig -p || /sbin/ldconfig -p || /usr/sbin/ldconfig -p; }")
          .append(" 2>/dev/null)\n");
    }
    checks(s, "rq_library", LIBRARY, libraries);
    return s.append(")\n").toString();
  }

  /** A line per name: {@code function NAME || print "missing KIND NAME"}. */
  private static void checks(StringBuilder s, String function, String kind, List<String> names) {
    for (String n : names) {
      s.append(function)
          .append(' ')
          .append(Shell.quote(n))
          .append(" || printf '%s\\n' ")
          .append(Shell.quote(MISSING + kind + n))
          .append('\n');
    }
  }

  /**
   * What the output of {@link #script} (possibly among other lines) says is missing, in its order:
   * {@code command NAME} and {@code library NAME}.
   */
  public static List<String> missing(String output) {
    List<String> out = new ArrayList<>();
    for (String line : output.split("\n")) {
      if (line.startsWith(MISSING + COMMAND) || line.startsWith(MISSING + LIBRARY)) {
        out.add(line.substring(MISSING.length()));
      }
    }
    return out;
  }

  /**
   * The failed install of {@code what} (service and version) on {@code where} (e.g. {@code the
   * controller's host}) because of the {@code missing} requirements ({@link #missing}), commands
   * having been looked up in {@code path}.
   */
  public static InstallOutcome.Failed failure(
      String what, String where, String path, List<String> missing) {
    boolean command = missing.stream().anyMatch(m -> m.startsWith(COMMAND));
    return new InstallOutcome.Failed(
        DeployReasons.REQUIREMENT_MISSING,
        "cannot install "
            + what
            + " on "
            + where
            + ": missing "
            + String.join(", ", missing)
            + " (requires in its manifest.yaml"
            + (missing.contains(COMMAND + DOCKER) ? ", and docker for its service.type docker" : "")
            + (command ? "; commands are looked up in the scripts' PATH " + path : "")
            + "); install "
            + (missing.size() == 1 ? "it" : "them")
            + " there");
  }

  private static List<String> strings(JsonNode req, String field) throws PackageRejected {
    List<String> out = new ArrayList<>();
    if (req == null || req.isMissingNode() || req.path(field).isMissingNode()) {
      return out;
    }
    JsonNode list = req.path(field);
    if (!list.isArray()) {
      throw PackageRejected.invalid("requires." + field + " in its manifest.yaml must be a list");
    }
    for (JsonNode n : list) {
      if (!n.isTextual()
          || n.asText().isBlank()
          || n.asText().chars().anyMatch(Character::isISOControl)) {
        throw PackageRejected.invalid(
            "requires." + field + " in its manifest.yaml must list names, not " + n);
      }
      out.add(n.asText());
    }
    return out;
  }
}

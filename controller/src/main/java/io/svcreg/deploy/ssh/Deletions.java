package io.svcreg.deploy.ssh;

import io.svcreg.deploy.DirectoryInUse;
import io.svcreg.deploy.ServiceEnvironment;
import io.svcreg.deploy.Shell;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Deleting directories of an install root on a node, never under a live process: the check runs on
 * the node in the same script as the deletion, right before it (one round trip). A directory is in
 * use when the start recorded in its {@code logs/service.pid} is alive with the same start time,
 * when a process's working directory or executable is inside it ({@code /proc/PID/cwd}, {@code
 * /proc/PID/exe}, all read by one {@code ls}), or when an active svcreg unit's {@code ExecStart} is
 * inside it. Such a directory is kept, and the script prints what runs from it.
 *
 * <p>What the script prints, one line each: {@code removed DIR}, {@code failed DIR}, {@code kept
 * DIR}, {@code held PID HOW COMMAND DIR} (the command line base64-encoded) for each process and way
 * it was found, and, for a deletion that may stop the recorded process, {@code environ PID ENV DIR}
 * (its {@code /proc/PID/environ}, base64) so that the controller can stop it with {@code stop.sh}
 * and its own environment and delete again.
 */
final class Deletions {

  /**
   * Shell functions for {@link #delete}, defined once per script: {@code svscan} lists the links of
   * every process and the active svcreg units (once, at the first deletion), {@code holders DIR}
   * prints {@code PID HOW} for what runs from DIR, {@code del DIR MOVETO STOP} deletes.
   */
  static final String FUNCTIONS =
      "svs=; svl=; svu=; svfail=\n"
          + "svscan() { svs=1;"
          + " svl=$(ls -l /proc/[0-9]*/cwd /proc/[0-9]*/exe 2>/dev/null"
          + " | sed -n 's|^.* \\(/proc/[0-9][0-9]*/[a-z]*\\) -> \\(.*\\)$|\\1 \\2|p');"
          + " svu=; if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then"
          + " for f in "
          + SystemdUnits.DIR
          + "/svcreg-*.service; do [ -f \"$f\" ] || continue; u=${f##*/};"
          + " systemctl is-active --quiet \"$u\" 2>/dev/null || continue;"
          + " x=$(sed -n 's/^ExecStart=\"\\(.*\\)\"$/\\1/p' \"$f\");"
          + " svu=\"$svu$(systemctl show -p MainPID --value \"$u\") unit:$u $x\n\"; done; fi; }\n"
          + "holders() { hd=$1; op=; ost=;"
          + " if [ -f \"$hd/logs/service.pid\" ]; then { read -r op ost < \"$hd/logs/service.pid\"; } 2>/dev/null;"
          + " if [ \"$op\" -gt 1 ] 2>/dev/null && { read -r l < /proc/$op/stat; } 2>/dev/null; then"
          + " set -- ${l##*) }; [ \"$1\" != Z ] && [ \"${20:-}\" = \"$ost\" ] && echo \"$op recorded\";"
          + " fi; fi;"
          + " printf '%s\\n' \"$svl\" | while read -r f t; do case \"$t/\" in \"$hd\"/*)"
          + " p=${f#/proc/}; echo \"${p%%/*} ${p#*/}\";; esac; done;"
          + " printf '%s\\n' \"$svu\" | while read -r p k t; do case \"$t\" in \"$hd\"/*)"
          + " [ \"$p\" -gt 1 ] 2>/dev/null && echo \"$p $k\";; esac; done; }\n"
          + "svcmd() { tr '\\000' ' ' 2>/dev/null < /proc/$1/cmdline | head -c 200 | base64 -w0; }\n"
          + "del() { [ -e \"$1\" ] || return 0; [ -n \"$svs\" ] || svscan; h=$(holders \"$1\");"
          + " if [ -n \"$h\" ]; then"
          + " printf '%s\\n' \"$h\" | while read -r p k; do echo \"held $p $k $(svcmd $p) $1\"; done;"
          + " [ \"$3\" = 1 ] && printf '%s\\n' \"$h\" | while read -r p k; do [ \"$k\" = recorded ]"
          + " && echo \"environ $p $(base64 -w0 2>/dev/null < /proc/$p/environ) $1\"; done;"
          + " echo \"kept $1\"; return 0; fi;"
          + " if [ -n \"$2\" ]; then mv \"$1\" \"$2\" && rm -rf \"$2\"; else rm -rf \"$1\"; fi"
          + " && echo \"removed $1\" || { echo \"failed $1\"; svfail=1; }; }\n";

  private Deletions() {}

  /**
   * A line that deletes {@code dir} (after {@link #FUNCTIONS}) unless a live process runs from it;
   * renamed to {@code moveTo} first when given (a shell word, e.g. {@code "$root/.old.x.$$"}); with
   * {@code stop}, the environment of the process svcreg recorded there is printed for stopping it.
   */
  static String delete(String dir, Optional<String> moveTo, boolean stop) {
    return "del " + Shell.quote(dir) + " " + moveTo.orElse("''") + " " + (stop ? "1" : "0") + "\n";
  }

  /** The process svcreg recorded in a kept directory, with its environment. */
  record Recorded(long pid, Map<String, String> environ) {}

  /**
   * What a script of deletions printed: the directories removed, those that failed, those kept with
   * what runs from them, and the recorded processes to stop (by directory).
   */
  record Result(
      List<String> removed,
      List<String> failed,
      Map<String, List<DirectoryInUse.Holder>> kept,
      Map<String, Recorded> recorded) {

    /** This result with {@code again}'s findings for the directories it deleted again. */
    Result then(Result again) {
      List<String> r = new ArrayList<>(removed);
      r.addAll(again.removed());
      List<String> f = new ArrayList<>(failed);
      f.addAll(again.failed());
      Map<String, List<DirectoryInUse.Holder>> k = new LinkedHashMap<>(kept);
      again.removed().forEach(k::remove);
      again.failed().forEach(k::remove);
      k.putAll(again.kept());
      return new Result(r, f, k, Map.of());
    }
  }

  /** Reads what {@link #FUNCTIONS}' deletions printed in {@code out}. */
  static Result parse(String out) {
    List<String> removed = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    List<String> keptDirs = new ArrayList<>();
    Map<String, Map<Long, String>> commands = new LinkedHashMap<>();
    Map<String, Map<Long, TreeSet<String>>> hows = new LinkedHashMap<>();
    Map<String, Recorded> recorded = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      if (line.startsWith("removed ")) {
        removed.add(line.substring(8));
      } else if (line.startsWith("failed ")) {
        failed.add(line.substring(7));
      } else if (line.startsWith("kept ")) {
        keptDirs.add(line.substring(5));
      } else if (line.startsWith("held ")) {
        String[] f = line.split(" ", 5);
        long pid = pid(f);
        if (f.length == 5 && pid > 0) {
          commands.computeIfAbsent(f[4], k -> new LinkedHashMap<>()).put(pid, decode(f[3]));
          hows.computeIfAbsent(f[4], k -> new LinkedHashMap<>())
              .computeIfAbsent(pid, k -> new TreeSet<>())
              .add(f[2]);
        }
      } else if (line.startsWith("environ ")) {
        String[] f = line.split(" ", 4);
        long pid = pid(f);
        if (f.length == 4 && pid > 0) {
          byte[] env;
          try {
            env = Base64.getDecoder().decode(f[2]);
          } catch (IllegalArgumentException e) {
            env = new byte[0];
          }
          recorded.put(f[3], new Recorded(pid, ServiceEnvironment.parseEnviron(env)));
        }
      }
    }
    Map<String, List<DirectoryInUse.Holder>> kept = new LinkedHashMap<>();
    for (String dir : keptDirs) {
      List<DirectoryInUse.Holder> holders = new ArrayList<>();
      hows.getOrDefault(dir, Map.of())
          .forEach(
              (pid, how) ->
                  holders.add(
                      new DirectoryInUse.Holder(
                          pid, commands.get(dir).get(pid), String.join(",", how))));
      kept.put(dir, holders);
    }
    return new Result(removed, failed, kept, recorded);
  }

  private static long pid(String[] f) {
    try {
      return f.length > 1 ? Long.parseLong(f[1]) : 0;
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static String decode(String b64) {
    try {
      String text = new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8).strip();
      return text.isEmpty() ? "?" : text;
    } catch (IllegalArgumentException e) {
      return "?";
    }
  }
}

package io.svcreg.deploy.ssh;

import io.svcreg.deploy.DeployTimeouts;
import io.svcreg.deploy.InstallLayout;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The systemd unit of a service run with {@code execution: {type: systemd}} on a node, and the
 * shell lines that install, start, stop, inspect and remove it. The unit is {@code
 * /etc/systemd/system/svcreg-NAME.service}: {@code ExecStart} is the package's {@code start.sh} in
 * its install directory, {@code ExecStop} its {@code stop.sh} (with {@code SERVICE_PID} the unit's
 * main pid), the environment is the service's (as for a managed process), output is appended to the
 * install directory's {@code logs/service.log}, systemd restarts it when it fails, and it is
 * enabled, so it comes back when the node boots. Where svcreg configures the service's address on
 * the node ({@code lan}, {@code wireguard}), {@code ExecStartPre} configures it as the controller
 * does before a start: a boot takes it away, and the service binds it.
 */
final class SystemdUnits {

  /** Where units are written. */
  static final String DIR = "/etc/systemd/system";

  private SystemdUnits() {}

  /** The unit name of a service, e.g. {@code svcreg-web.service}. */
  static String unit(String service) {
    return "svcreg-" + InstallLayout.sanitizedName(service) + ".service";
  }

  /**
   * The unit file's text for {@code service} installed in {@code home}, with {@code env}; {@code
   * address}, a line of shell that configures the service's address on the node, runs before
   * start.sh (as root), so that the unit comes back with its address when the node boots.
   */
  static String text(
      String service,
      String version,
      String home,
      Map<String, String> env,
      Optional<String> address,
      DeployTimeouts t) {
    StringBuilder b = new StringBuilder();
    b.append("# written by svcreg; it is replaced and removed by svcreg\n");
    b.append("[Unit]\n");
    b.append("Description=svcreg service ")
        .append(service)
        .append(' ')
        .append(version)
        .append('\n');
    b.append("After=network-online.target\nWants=network-online.target\n\n");
    b.append("[Service]\n");
    b.append("Type=simple\n");
    b.append("WorkingDirectory=").append(path(home)).append('\n');
    for (Map.Entry<String, String> e : env.entrySet()) {
      b.append("Environment=").append(quote(e.getKey() + "=" + e.getValue(), false)).append('\n');
    }
    address.ifPresent(
        a -> b.append("ExecStartPre=/bin/sh -c ").append(quote(a, true)).append('\n'));
    b.append("ExecStart=").append(quote(home + "/scripts/start.sh", true)).append('\n');
    b.append("ExecStop=/usr/bin/env SERVICE_PID=${MAINPID} ")
        .append(quote(home + "/scripts/stop.sh", true))
        .append('\n');
    b.append("StandardInput=null\n");
    b.append("StandardOutput=append:").append(path(home)).append("/logs/service.log\n");
    b.append("StandardError=append:").append(path(home)).append("/logs/service.log\n");
    b.append("Restart=on-failure\nRestartSec=1\n");
    b.append("TimeoutStopSec=").append(seconds(t.stopScript().plus(t.term()))).append('\n');
    b.append("\n[Install]\nWantedBy=multi-user.target\n");
    return b.toString();
  }

  /**
   * Whether a value can go into a unit file: no line break (systemd reads a unit line by line) and
   * no NUL.
   */
  static boolean writable(String value) {
    return value.indexOf('\n') < 0 && value.indexOf('\r') < 0 && value.indexOf('\0') < 0;
  }

  /**
   * A value as a systemd double-quoted word: backslashes and double quotes escaped, {@code %}
   * doubled (systemd's specifiers), and in a command line ({@code command}) {@code $} doubled (its
   * variable expansion, which environment assignments do not have).
   */
  static String quote(String value, boolean command) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : value.toCharArray()) {
      switch (c) {
        case '\\' -> b.append("\\\\");
        case '"' -> b.append("\\\"");
        case '%' -> b.append("%%");
        case '$' -> b.append(command ? "$$" : "$");
        default -> b.append(c);
      }
    }
    return b.append('"').toString();
  }

  /** A path in a setting that takes one path (not quoted): {@code %} doubled. */
  static String path(String value) {
    return value.replace("%", "%%");
  }

  /**
   * Lines that leave {@code $ok} at 1 when the node runs systemd as its init (units can be
   * installed), else 0.
   */
  static String systemdCheck() {
    return "if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then ok=1;"
        + " else ok=0; fi\n";
  }

  /**
   * Lines that print the unit's state: {@code unit ACTIVESTATE MAINPID} ({@code unit absent} when
   * it is not installed).
   */
  static String stateProbe(String service) {
    String u = unit(service);
    return "if [ -f "
        + DIR
        + "/"
        + u
        + " ]; then echo \"unit $(systemctl show -p ActiveState --value "
        + u
        + ") $(systemctl show -p MainPID --value "
        + u
        + ")\"; else echo unit absent; fi\n";
  }

  /** Lines that stop, disable and remove the unit when it is installed. */
  static String remove(String service) {
    String u = unit(service);
    String f = DIR + "/" + u;
    return "if [ -f "
        + f
        + " ]; then systemctl disable --now --quiet "
        + u
        + " 2>/dev/null; rm -f "
        + f
        + "; systemctl daemon-reload; systemctl reset-failed "
        + u
        + " 2>/dev/null; fi\n";
  }

  private static String seconds(Duration d) {
    return Math.max(1, (d.toMillis() + 999) / 1000) + "s";
  }
}

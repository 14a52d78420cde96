package io.svcreg.loop;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The YAML of a Service spec for the tests, on the network {@code local}, health every second. */
final class SpecText {

  private final String name;
  private String version;
  private String packageRef;
  private final int port;
  private final List<String> dependsOn = new ArrayList<>();
  private final Map<String, String> env = new LinkedHashMap<>();
  private final Map<String, String> labels = new LinkedHashMap<>();
  private String network = "local";
  private String progressDeadline;
  private String state;
  private String execution;

  SpecText(String name, String version, String packageRef, int port) {
    this.name = name;
    this.version = version;
    this.packageRef = packageRef;
    this.port = port;
  }

  SpecText version(String v, String packageDir) {
    this.version = v;
    this.packageRef = "../packages/" + packageDir;
    return this;
  }

  SpecText dependsOn(String... names) {
    dependsOn.addAll(List.of(names));
    return this;
  }

  SpecText env(String key, String value) {
    env.put(key, value);
    return this;
  }

  SpecText label(String key, String value) {
    labels.put(key, value);
    return this;
  }

  SpecText network(String n) {
    this.network = n;
    return this;
  }

  /** Sets {@code spec.state} ({@code running} or {@code stopped}). */
  SpecText state(String s) {
    this.state = s;
    return this;
  }

  /** Sets {@code spec.execution.type}. */
  SpecText execution(String type) {
    this.execution = type;
    return this;
  }

  SpecText progressDeadline(String d) {
    this.progressDeadline = d;
    return this;
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    b.append("apiVersion: svcreg.io/v1\nkind: Service\nmetadata:\n  name: ").append(name);
    b.append('\n');
    if (!labels.isEmpty()) {
      b.append("  labels:\n");
      labels.forEach((k, v) -> b.append("    ").append(k).append(": \"").append(v).append("\"\n"));
    }
    b.append("spec:\n");
    b.append("  version: \"").append(version).append("\"\n");
    b.append("  package: ").append(packageRef).append('\n');
    b.append("  network: ").append(network).append('\n');
    if (execution != null) {
      b.append("  execution: {type: ").append(execution).append("}\n");
    }
    b.append("  endpoints:\n    - {name: http, port: ").append(port).append(", protocol: http}\n");
    if (state != null) {
      b.append("  state: ").append(state).append('\n');
    }
    if (!dependsOn.isEmpty()) {
      b.append("  dependsOn: [").append(String.join(", ", dependsOn)).append("]\n");
    }
    if (!env.isEmpty()) {
      b.append("  env:\n");
      env.forEach((k, v) -> b.append("    ").append(k).append(": \"").append(v).append("\"\n"));
    }
    b.append(
        "  health: {script: scripts/health.sh, interval: 1s, timeout: 2s, failureThreshold: 2}\n");
    if (progressDeadline != null) {
      b.append("  rollout: {progressDeadline: ")
          .append(progressDeadline)
          .append(", autoRollback: true}\n");
    }
    return b.toString();
  }
}

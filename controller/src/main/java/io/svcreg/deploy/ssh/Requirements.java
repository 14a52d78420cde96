package io.svcreg.deploy.ssh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.svcreg.deploy.PackageRejected;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a package's {@code manifest.yaml} requires of a node: {@code requires.commands|libraries}.
 */
record Requirements(List<String> commands, List<String> libraries) {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  Requirements {
    commands = List.copyOf(commands);
    libraries = List.copyOf(libraries);
  }

  /** The requirements in {@code manifest} (none when it lists none). */
  static Requirements read(Path manifest) throws PackageRejected {
    JsonNode root;
    try {
      root = YAML.readTree(manifest.toFile());
    } catch (IOException e) {
      throw PackageRejected.invalid(
          "its manifest.yaml is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""));
    }
    JsonNode req = root == null ? null : root.path("requires");
    return new Requirements(strings(req, "commands"), strings(req, "libraries"));
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
      if (!n.isTextual() || n.asText().isBlank()) {
        throw PackageRejected.invalid(
            "requires." + field + " in its manifest.yaml must list names, not " + n);
      }
      out.add(n.asText());
    }
    return out;
  }
}

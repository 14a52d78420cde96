package io.svcreg.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.svcreg.client.ApiException;
import io.svcreg.client.SvcregClient;
import io.svcreg.core.SvcregException;
import io.svcreg.schema.Json;
import io.svcreg.schema.PackageRef;
import io.svcreg.schema.Problem;
import io.svcreg.schema.SpecFiles;
import io.svcreg.schema.SpecParser;
import io.svcreg.source.PackageUploads;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code apply -f PATH...} through the API: the files' documents are sent as one {@code apply}
 * request (all or nothing), with the packages next to them that they refer to, and the problems the
 * server finds are mapped back to the files and lines they came from.
 */
final class RemoteApply {

  private final Output output;
  private final List<Path> paths;

  RemoteApply(Output output, List<Path> paths) {
    this.output = output;
    this.paths = paths;
  }

  /** A part of the sent text: the file it came from and its first line in the text. */
  record Part(String file, int firstLine, int lines) {}

  /** The files' text joined into one multi-document YAML text, and where each part starts. */
  record Joined(String text, List<Part> parts) {

    /** The problem with the file and line of the part it falls in. */
    Problem locate(Problem p) {
      for (Part part : parts) {
        if (p.line() >= part.firstLine() && p.line() < part.firstLine() + part.lines()) {
          return new Problem(
              part.file(), p.line() - part.firstLine() + 1, p.column(), p.path(), p.message());
        }
      }
      return p;
    }
  }

  /** Sends the files and their packages; prints what was applied or the problems. */
  int run(ClientOptions client) {
    Joined joined;
    Map<String, Path> packages;
    try {
      Map<String, Path> files = files();
      joined = join(files);
      packages = packages(files);
    } catch (SvcregException e) {
      return Remote.fail(output, "apply", e);
    }
    String name = joined.parts().size() == 1 ? joined.parts().get(0).file() : "<apply>";
    try (SvcregClient c = Remote.connect(client)) {
      ObjectNode params = JsonNodeFactory.instance.objectNode();
      params.put("text", joined.text());
      params.put("name", name);
      if (!packages.isEmpty()) {
        ArrayNode list = params.putArray("packages");
        for (Map.Entry<String, Path> p : packages.entrySet()) {
          list.addObject().put("ref", p.getKey()).set("entries", entries(p.getValue()));
        }
        fits(c, params, packages.size());
      }
      JsonNode result = c.call("apply", params);
      for (JsonNode r : result.path("resources")) {
        output
            .out()
            .println(
                key(r.path("key"))
                    + " "
                    + r.path("outcome").asText()
                    + " ("
                    + r.path("file").asText()
                    + ")");
      }
      for (JsonNode p : result.path("packages")) {
        output.out().println("package " + p.asText() + " written");
      }
      output.out().flush();
      return Cli.OK;
    } catch (ApiException e) {
      JsonNode problems = e.details().path("problems");
      if (!e.code().equals("bad_request") || problems.isEmpty()) {
        return Remote.fail(output, "apply", e);
      }
      output.flush();
      for (JsonNode p : problems) {
        Problem problem =
            new Problem(
                p.path("file").asText(name),
                p.path("line").asInt(0),
                p.path("column").asInt(0),
                p.path("path").asText(""),
                p.path("message").asText(""));
        output.err().println(joined.parts().size() == 1 ? problem : joined.locate(problem));
      }
      output.err().println("svcreg apply: nothing written; fix the problems above");
      output.err().flush();
      return Cli.ERROR;
    } catch (SvcregException e) {
      return Remote.fail(output, "apply", e);
    }
  }

  /**
   * The packages the files refer to that are next to them, by {@code spec.package} as written (see
   * {@link PackageUploads}); references to packages that are not here are left to the controller's
   * spec directory.
   */
  static Map<String, Path> packages(Map<String, Path> files) {
    Map<String, Path> out = new TreeMap<>();
    Map<String, String> referredBy = new HashMap<>();
    for (Map.Entry<String, Path> f : files.entrySet()) {
      Path dir = f.getValue().toAbsolutePath().normalize().getParent();
      String text;
      try {
        text = Files.readString(f.getValue(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new SvcregException(f.getKey() + ": cannot read file: " + e.getMessage(), e);
      }
      for (PackageRef r : SpecParser.parse(f.getKey(), text, dir).packageRefs()) {
        Path local = dir.resolve(r.ref()).normalize();
        if (Path.of(r.ref()).isAbsolute() || !Files.exists(local)) {
          continue;
        }
        Path before = out.putIfAbsent(r.ref(), local);
        if (before != null && !before.equals(local)) {
          throw new SvcregException(
              referredBy.get(r.ref())
                  + " and "
                  + r.at()
                  + " both say package `"
                  + r.ref()
                  + "` but mean different ones ("
                  + before
                  + " and "
                  + local
                  + "); apply them one at a time");
        }
        referredBy.putIfAbsent(r.ref(), r.at().toString());
      }
    }
    return out;
  }

  private static ArrayNode entries(Path pkg) {
    try {
      return PackageUploads.entries(pkg);
    } catch (IOException e) {
      throw new SvcregException("cannot read the package " + pkg + ": " + e.getMessage(), e);
    }
  }

  /** Fails when the request would be larger than the controller takes in one message. */
  private static void fits(SvcregClient c, ObjectNode params, int packages) {
    long max = c.call("server_info", Map.of()).path("limits").path("maxMessageBytes").asLong(0);
    long size;
    try {
      size = Json.mapper().writeValueAsBytes(params).length + 100L; // and the envelope
    } catch (JsonProcessingException e) {
      throw new SvcregException("cannot encode the request: " + e.getMessage(), e);
    }
    if (max > 0 && size > max) {
      throw new SvcregException(
          "the specs and the "
              + PlanSummary.plural(packages, "package")
              + " next to them take "
              + size
              + " bytes, more than the controller takes in one message ("
              + max
              + "); run apply --specs DIR on the controller's host, or put the packages into its"
              + " spec directory first and apply the spec files without them");
    }
  }

  private static String key(JsonNode k) {
    if (k.isTextual()) {
      return k.asText();
    }
    return k.path("kind").asText("?") + "/" + k.path("name").asText("?");
  }

  /** The spec files named by {@code -f}, directories expanded (see {@link SpecFiles}), as given. */
  private Map<String, Path> files() {
    Map<String, Path> files = new LinkedHashMap<>();
    for (Path p : paths) {
      if (Files.isDirectory(p)) {
        try {
          List<Path> found = SpecFiles.walk(p);
          if (found.isEmpty()) {
            throw new SvcregException(p + ": no spec files (*.yaml, *.yml) in this directory");
          }
          found.forEach(f -> files.put(f.toString(), f));
        } catch (IOException e) {
          throw new SvcregException(p + ": cannot list directory: " + e.getMessage(), e);
        }
      } else if (Files.isRegularFile(p)) {
        files.put(p.toString(), p);
      } else {
        throw new SvcregException(p + ": no such file or directory");
      }
    }
    return files;
  }

  /** Joins the files' text with {@code ---} between them. */
  static Joined join(Map<String, Path> files) {
    StringBuilder text = new StringBuilder();
    List<Part> parts = new ArrayList<>();
    int line = 1;
    for (Map.Entry<String, Path> f : files.entrySet()) {
      String content;
      try {
        content = Files.readString(f.getValue(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new SvcregException(f.getKey() + ": cannot read file: " + e.getMessage(), e);
      }
      if (content.startsWith("\uFEFF")) {
        content = content.substring(1);
      }
      if (!parts.isEmpty()) {
        text.append("---\n");
        line++;
      }
      if (!content.endsWith("\n")) {
        content = content + "\n";
      }
      int lines = (int) content.chars().filter(ch -> ch == '\n').count();
      parts.add(new Part(f.getKey(), line, lines));
      text.append(content);
      line += lines;
    }
    return new Joined(text.toString(), parts);
  }
}

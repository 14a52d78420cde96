package io.svcreg.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.svcreg.client.ClientConfig;
import io.svcreg.client.SvcregClient;
import io.svcreg.core.Plan;
import io.svcreg.core.SvcregException;
import io.svcreg.schema.Json;
import io.svcreg.schema.Problem;
import io.svcreg.schema.SpecFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code plan --server}: the running controller plans, against its live observed state, either its
 * own spec directory or the files of {@code --specs} (sent as the {@code plan} action's {@code
 * documents}); the plan is shown as a local one.
 */
final class RemotePlan {

  private final Output output;
  private final OutputFormat format;
  private final Path specs;

  RemotePlan(Output output, OutputFormat format, Path specs) {
    this.output = output;
    this.format = format;
    this.specs = specs;
  }

  /** Asks the server for the plan and prints it; the exit code as a local plan's. */
  int run(Supplier<ClientConfig> config) {
    try {
      Map<String, Object> params = specs == null ? Map.of() : Map.of("documents", documents());
      JsonNode json;
      try (SvcregClient c = Remote.connect(config.get())) {
        json = c.call("plan", params);
      }
      // the server names its own spec directory's commit; for --specs, the client knows it
      Plan plan =
          specs == null ? parse(json) : parse(json).withSourceRevision(Specs.revision(specs));
      switch (format) {
        case TEXT -> PlanText.render(plan, output);
        case JSON -> output.out().print(PlanJson.render(plan));
        case MARKDOWN -> output.out().print(PlanMarkdown.render(plan));
      }
      if (format != OutputFormat.TEXT) {
        output.out().flush();
        for (Problem p : plan.problems()) {
          output.err().println(p);
        }
      }
      output.flush();
      if (!plan.problems().isEmpty()) {
        return Cli.ERROR;
      }
      return plan.hasChanges() ? Cli.CHANGES : Cli.OK;
    } catch (SvcregException e) {
      return Remote.fail(output, "plan", e);
    }
  }

  /** The plan JSON the server sent, as a {@link Plan}. */
  static Plan parse(JsonNode json) {
    try {
      return Json.mapper().treeToValue(json, Plan.class);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new SvcregException(
          "the server's plan is not in the expected format: "
              + String.valueOf(e.getMessage()).lines().findFirst().orElse(""),
          e);
    }
  }

  /**
   * The spec files of {@code --specs} (see {@link SpecFiles}) as {@code {name, text}} documents.
   */
  private List<Map<String, String>> documents() {
    List<Path> files = new ArrayList<>();
    if (Files.isDirectory(specs)) {
      try {
        files.addAll(SpecFiles.walk(specs));
      } catch (IOException e) {
        throw new SvcregException(specs + ": cannot list directory: " + e.getMessage(), e);
      }
    } else {
      files.add(specs);
    }
    List<Map<String, String>> docs = new ArrayList<>();
    for (Path f : files) {
      try {
        docs.add(Map.of("name", f.toString(), "text", Files.readString(f, StandardCharsets.UTF_8)));
      } catch (IOException e) {
        throw new SvcregException(f + ": cannot read file: " + e.getMessage(), e);
      }
    }
    return docs;
  }
}

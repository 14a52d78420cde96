package io.svcreg.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.svcreg.client.ApiException;
import io.svcreg.client.ClientConfig;
import io.svcreg.client.RegistryClient;
import io.svcreg.client.SvcregClient;
import io.svcreg.client.UnixSocketClient;
import io.svcreg.core.SvcregException;
import io.svcreg.schema.Json;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;

/** What the client commands share: connecting, one-line errors, JSON and YAML output. */
final class Remote {

  private static final YAMLMapper YAML =
      new YAMLMapper(
          YAMLFactory.builder()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
              .build());

  private Remote() {}

  /** The environment the defaults come from. */
  static Map<String, String> env() {
    return System.getenv();
  }

  /** Connects with the options' configuration. */
  static SvcregClient connect(ClientOptions options) {
    return connect(options.config(env()));
  }

  /**
   * Connects for the registry's actions: to the Unix-domain socket when the server ({@code
   * --server} or {@code SVCREG_SERVER}) is {@code unix:PATH}, else as {@link
   * #connect(ClientOptions)}.
   */
  static RegistryClient registry(ClientOptions options) {
    String server =
        options.server != null ? options.server : env().getOrDefault("SVCREG_SERVER", "");
    if (UnixSocketClient.isUnix(server.strip())) {
      return UnixSocketClient.connect(server.strip(), Duration.ofSeconds(30));
    }
    return connect(options);
  }

  /** Connects with a configuration. */
  static SvcregClient connect(ClientConfig config) {
    return SvcregClient.connect(config);
  }

  /** Prints {@code svcreg COMMAND: what went wrong} on one line; returns {@link Cli#ERROR}. */
  static int fail(Output output, String command, SvcregException e) {
    output.flush();
    output.err().println("svcreg " + command + ": " + describe(e));
    output.err().flush();
    return Cli.ERROR;
  }

  /** One line for an error: an API error's message and code, else the message. */
  static String describe(SvcregException e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (e instanceof ApiException api) {
      m = m + " (" + api.code() + ")";
    }
    return m.replaceAll("\\s*\\R\\s*", " ");
  }

  /** Pretty JSON with a trailing newline. */
  static String json(JsonNode node) {
    try {
      return Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n";
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** YAML (no document marker). */
  static String yaml(JsonNode node) {
    try {
      return YAML.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}

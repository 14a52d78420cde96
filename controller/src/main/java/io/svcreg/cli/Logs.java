package io.svcreg.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.svcreg.schema.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Sets up {@code java.util.logging} for {@code serve}: one line per record, text or JSON. */
final class Logs {

  private Logs() {}

  /** Routes every log record of {@code level} and above to stderr in {@code format}. */
  static void configure(String format, Level level) {
    Logger root = Logger.getLogger("");
    for (Handler h : root.getHandlers()) {
      root.removeHandler(h);
    }
    ConsoleHandler h = new ConsoleHandler();
    h.setLevel(Level.ALL);
    h.setFormatter("json".equals(format) ? new JsonLines() : new TextLines());
    root.addHandler(h);
    root.setLevel(level);
    // the web server's own start-up chatter (features, bound sockets) only when debugging
    HELIDON.setLevel(level.intValue() <= Level.FINE.intValue() ? level : Level.WARNING);
  }

  /** Held here: java.util.logging keeps loggers only weakly, and with them their level. */
  private static final Logger HELIDON = Logger.getLogger("io.helidon");

  /** {@code 2026-11-22T09:00:00.123Z INFO message}, then the stack trace if any. */
  static final class TextLines extends Formatter {
    @Override
    public String format(LogRecord r) {
      StringBuilder b =
          new StringBuilder()
              .append(r.getInstant())
              .append(' ')
              .append(String.format("%-7s", level(r.getLevel())))
              .append(formatMessage(r));
      if (r.getThrown() != null && oneLine(r)) {
        b.append(": ").append(r.getThrown());
      }
      b.append(System.lineSeparator());
      if (r.getThrown() != null
          && r.getLevel().intValue() >= Level.SEVERE.intValue()
          && !oneLine(r)) {
        StringWriter w = new StringWriter();
        r.getThrown().printStackTrace(new PrintWriter(w));
        b.append(w);
      }
      return b.toString();
    }

    /**
     * Whether the record's exception is said by whoever called the library too: EclipseStore logs
     * every storage error with its stack trace from its own threads (about 30 lines for a damaged
     * store), and the store reports the same error as one line; its trace is printed with {@code
     * --log-level debug}.
     */
    private static boolean oneLine(LogRecord r) {
      String name = r.getLoggerName();
      return name != null
          && name.startsWith("org.eclipse.store")
          && !Logger.getLogger("").isLoggable(Level.FINE);
    }
  }

  /** One JSON object per line: time, level, logger, message, error. */
  static final class JsonLines extends Formatter {
    @Override
    public String format(LogRecord r) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("time", Instant.from(r.getInstant()).toString());
      m.put("level", level(r.getLevel()));
      m.put("logger", r.getLoggerName());
      m.put("message", formatMessage(r));
      if (r.getThrown() != null) {
        m.put("error", String.valueOf(r.getThrown()));
      }
      try {
        return Json.mapper().writeValueAsString(m) + System.lineSeparator();
      } catch (JsonProcessingException e) {
        return "{\"level\":\"ERROR\",\"message\":\"unprintable log record\"}"
            + System.lineSeparator();
      }
    }
  }

  /** The level names of System.Logger rather than JUL's. */
  static String level(Level l) {
    int v = l.intValue();
    if (v >= Level.SEVERE.intValue()) {
      return "ERROR";
    }
    if (v >= Level.WARNING.intValue()) {
      return "WARN";
    }
    if (v >= Level.INFO.intValue()) {
      return "INFO";
    }
    if (v >= Level.FINE.intValue()) {
      return "DEBUG";
    }
    return "TRACE";
  }

  /** Parses {@code error|warn|info|debug|trace}. */
  static Level parseLevel(String s) {
    return switch (s.toLowerCase(java.util.Locale.ROOT)) {
      case "error" -> Level.SEVERE;
      case "warn", "warning" -> Level.WARNING;
      case "info" -> Level.INFO;
      case "debug" -> Level.FINE;
      case "trace" -> Level.FINEST;
      default ->
          throw new IllegalArgumentException(
              "unknown log level '" + s + "'; expected error, warn, info, debug or trace");
    };
  }
}

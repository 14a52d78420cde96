package io.svcreg;

import io.svcreg.cli.Cli;
import io.svcreg.cli.Output;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.logging.LogManager;
import picocli.CommandLine;

/** Entry point of the {@code svcreg} command. */
public final class Main {

  private Main() {}

  /** Runs the CLI and exits with its status. */
  public static void main(String[] args) {
    configureLogging();
    PrintWriter out = utf8(FileDescriptor.out);
    PrintWriter err = utf8(FileDescriptor.err);
    boolean color = colorWanted(System.getenv(), stdoutIsTerminal());
    int status = setup(new Output(out, err, color)).execute(args);
    out.flush();
    err.flush();
    System.exit(status);
  }

  /** Loads the bundled {@code logging.properties} unless the user gave their own. */
  static void configureLogging() {
    if (System.getProperty("java.util.logging.config.file") != null) {
      return;
    }
    try (InputStream in = Main.class.getResourceAsStream("logging.properties")) {
      if (in != null) {
        LogManager.getLogManager().readConfiguration(in);
      }
    } catch (IOException e) {
      System.err.println("svcreg: cannot read the bundled logging configuration: " + e);
    }
  }

  /** Runs the CLI with these arguments, without colour; returns the exit status. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    int status = setup(new Output(out, err, false)).execute(args);
    out.flush();
    err.flush();
    return status;
  }

  /** The wired command line, writing to {@code output}. */
  public static CommandLine setup(Output output) {
    return Cli.commandLine(output);
  }

  /** Colour only on a terminal, and never when {@code NO_COLOR} is set (https://no-color.org). */
  static boolean colorWanted(Map<String, String> env, boolean terminal) {
    String noColor = env.get("NO_COLOR");
    return terminal && (noColor == null || noColor.isEmpty()) && !"dumb".equals(env.get("TERM"));
  }

  /**
   * Whether stdout is a terminal: as the launcher found ({@code -Dsvcreg.stdout.tty}), else from
   * {@code /proc/self/fd/1}.
   */
  static boolean stdoutIsTerminal() {
    String told = System.getProperty("svcreg.stdout.tty");
    if (told != null) {
      return Boolean.parseBoolean(told);
    }
    try {
      String target = Files.readSymbolicLink(Path.of("/proc/self/fd/1")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (java.io.IOException | UnsupportedOperationException | SecurityException e) {
      return false;
    }
  }

  private static PrintWriter utf8(FileDescriptor fd) {
    return new PrintWriter(
        new OutputStreamWriter(new FileOutputStream(fd), StandardCharsets.UTF_8), false);
  }
}

package io.svcreg.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code svcreg} command line: the command tree, and how outcomes become exit codes. Exit codes
 * follow {@code kubectl diff}: {@link #OK} no changes (or valid), {@link #CHANGES} the plan changes
 * something, {@link #ERROR} problems in the specs, bad usage, unreadable input or an internal
 * error.
 */
public final class Cli {

  /** Nothing to change, or the specs are valid. */
  public static final int OK = 0;

  /** The plan changes something. */
  public static final int CHANGES = 1;

  /** Problems in the specs, a usage mistake, unreadable input, or an internal error. */
  public static final int ERROR = 2;

  /**
   * {@code serve}: this member of a high-availability group lost its leadership and stopped acting;
   * its supervisor starts it again as a standby.
   */
  public static final int DEPOSED = 3;

  private Cli() {}

  /** The command tree, writing to {@code output}. */
  public static CommandLine commandLine(Output output) {
    CommandLine cl = new CommandLine(new Root(output));
    cl.addSubcommand(new CommandLine(new ValidateCommand(output)));
    cl.addSubcommand(new CommandLine(new PlanCommand(output)));
    cl.addSubcommand(new CommandLine(new ServeCommand(output)));
    cl.addSubcommand(new CommandLine(new StatusCommand(output)));
    cl.addSubcommand(new CommandLine(new ApplyCommand(output)));
    cl.addSubcommand(new CommandLine(new GetCommand(output)));
    cl.addSubcommand(new CommandLine(new WatchCommand(output)));
    cl.addSubcommand(new CommandLine(new ActionCommand(output)));
    cl.addSubcommand(new CommandLine(new PublishCommand(output)));
    cl.addSubcommand(new CommandLine(new DiscoverCommand(output)));
    cl.addSubcommand(new CommandLine(new UnpublishCommand(output)));
    CommandLine pkg = new CommandLine(new PackageCommand(output));
    pkg.addSubcommand(new CommandLine(new PackageCommand.Build(output, System.getenv())));
    pkg.addSubcommand(new CommandLine(new PackageCommand.Verify(output)));
    cl.addSubcommand(pkg);
    cl.addSubcommand(new CommandLine(new TrustCommand(output)));
    cl.addSubcommand(new CommandLine(new RecoverCommand(output)));
    cl.setOut(output.out());
    cl.setErr(output.err());
    cl.setColorScheme(Help.defaultColorScheme(output.color() ? Help.Ansi.ON : Help.Ansi.OFF));
    cl.setUsageHelpAutoWidth(false);
    cl.setUsageHelpWidth(100);
    cl.setParameterExceptionHandler(Cli::usageError);
    cl.setExecutionExceptionHandler((e, command, parsed) -> internalError(e, parsed, output.err()));
    return cl;
  }

  /** One line saying what is wrong, one line saying where help is. */
  private static int usageError(CommandLine.ParameterException e, String[] args) {
    CommandLine command = e.getCommandLine();
    String name = command.getCommandSpec().qualifiedName();
    StringBuilder line = new StringBuilder(name).append(": ").append(message(e));
    if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
      line.append(" (did you mean ").append(String.join(" or ", u.getSuggestions())).append("?)");
    }
    command.getErr().println(line.toString().replace('\n', ' '));
    command.getErr().println("see `" + name + " --help`");
    command.getErr().flush();
    return ERROR;
  }

  private static String message(CommandLine.ParameterException e) {
    if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
      String arg = u.getUnmatched().get(0);
      if (arg.startsWith("-")) {
        return "unknown option '" + arg + "'";
      }
      return e.getCommandLine().getSubcommands().isEmpty()
          ? "unexpected argument '" + arg + "'"
          : "unknown command '" + arg + "'";
    }
    return e.getMessage();
  }

  /** A failure that is not the user's: one line, the stack trace only with {@code --debug}. */
  private static int internalError(Exception e, ParseResult parsed, PrintWriter err) {
    err.println("svcreg: internal error: " + String.valueOf(e).replace('\n', ' '));
    if (debug(parsed)) {
      e.printStackTrace(err);
    } else {
      err.println("run again with --debug for the stack trace, and please report it");
    }
    err.flush();
    return ERROR;
  }

  private static boolean debug(ParseResult parsed) {
    for (ParseResult r = parsed; r != null; r = r.subcommand()) {
      if (r.hasMatchedOption("--debug")) {
        return true;
      }
    }
    return false;
  }

  /** {@code svcreg}: the top-level command; alone, it shows what it can do. */
  @Command(
      name = "svcreg",
      mixinStandardHelpOptions = true,
      versionProvider = Version.class,
      description = {
        "A declarative controller and service registry for services on plain hosts.",
        "Exit codes (as kubectl diff): 0 no changes or valid, 1 the plan changes something,"
            + " 2 problems, bad usage or an error."
      })
  static final class Root implements Callable<Integer> {

    private final Output output;

    @Spec CommandSpec spec;

    @Option(
        names = "--debug",
        scope = ScopeType.INHERIT,
        description = "Print the stack trace of internal errors.")
    boolean debug;

    Root(Output output) {
      this.output = output;
    }

    @Override
    public Integer call() {
      spec.commandLine().usage(output.err());
      output
          .err()
          .println(
              "svcreg: a command is required: " + String.join(", ", spec.subcommands().keySet()));
      return ERROR;
    }
  }
}

package io.svcreg.cli;

import io.svcreg.deploy.local.LocalDeployer;
import io.svcreg.pkg.PackageBuilder;
import io.svcreg.pkg.PackageException;
import io.svcreg.pkg.PackageVerifier;
import io.svcreg.schema.PackageManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code svcreg package build|verify}: makes and checks package archives. */
@Command(
    name = "package",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = {
      "Build a reproducible package archive from a directory, or verify one.",
      "See docs/packages.md for the format."
    })
final class PackageCommand implements Callable<Integer> {

  /** The package is not valid. */
  static final int INVALID = 1;

  private final Output output;

  @Spec CommandSpec spec;

  PackageCommand(Output output) {
    this.output = output;
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(output.err());
    output.err().println("svcreg package: a command is required: build, verify");
    output.err().flush();
    return Cli.ERROR;
  }

  /** {@code svcreg package build DIR [-o FILE]}. */
  @Command(
      name = "build",
      mixinStandardHelpOptions = true,
      versionProvider = Version.class,
      description = {
        "Check a package directory (manifest.yaml, executable scripts/start.sh and"
            + " scripts/stop.sh) and build a reproducible .tar.gz of it with a checksum list"
            + " (CHECKSUMS.sha256): the same files give the same bytes. Entry times are"
            + " SOURCE_DATE_EPOCH when set, else 0.",
        "Prints the archive's path, size and sha256.",
        "Exit codes: 0 built, 1 not a valid package, 2 bad usage or an I/O error."
      })
  static final class Build implements Callable<Integer> {

    private final Output output;
    private final Map<String, String> env;

    @Parameters(paramLabel = "DIR", description = "The package directory.")
    Path dir;

    @Option(
        names = {"-o", "--output"},
        paramLabel = "FILE",
        description = "The archive to write (default: {name}-{version}.tar.gz here).")
    Path out;

    Build(Output output, Map<String, String> env) {
      this.output = output;
      this.env = env;
    }

    @Override
    public Integer call() {
      String prefix = "svcreg package build: ";
      Instant mtime;
      String epoch = env.get("SOURCE_DATE_EPOCH");
      try {
        mtime =
            epoch == null || epoch.isBlank()
                ? Instant.EPOCH
                : Instant.ofEpochSecond(Long.parseLong(epoch.strip()));
      } catch (NumberFormatException e) {
        return fail(
            prefix + "SOURCE_DATE_EPOCH `" + epoch + "` is not a number of seconds", Cli.ERROR);
      }
      if (!Files.isDirectory(dir)) {
        return fail(prefix + dir + ": no such directory", Cli.ERROR);
      }
      try {
        PackageManifest m = PackageBuilder.check(dir);
        Path target =
            out != null
                ? out
                : Path.of(LocalDeployer.directoryName(m.name(), m.version()) + ".tar.gz");
        if (Files.isDirectory(target)) {
          return fail(prefix + "-o " + target + " is a directory; give a file name", Cli.ERROR);
        }
        PackageBuilder.Built b = new PackageBuilder(mtime).build(dir, target);
        output.out().println(b.file() + " " + b.size() + " bytes sha256 " + b.sha256());
        output.out().flush();
        return Cli.OK;
      } catch (PackageException e) {
        for (String p : e.problems()) {
          output.err().println(prefix + dir + ": " + p);
        }
        output.err().println(prefix + "nothing written; fix the problems above");
        output.err().flush();
        return INVALID;
      } catch (IOException e) {
        return fail(prefix + "cannot build " + dir + ": " + describe(e), Cli.ERROR);
      }
    }

    private int fail(String line, int code) {
      output.err().println(line);
      output.err().flush();
      return code;
    }
  }

  /** {@code svcreg package verify FILE}. */
  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      versionProvider = Version.class,
      description = {
        "Check a package archive without extracting it: gzip and tar structure, size limits,"
            + " entries that would escape the install directory (absolute paths, .., links"
            + " outside, devices, fifos), the manifest and scripts, and every file against"
            + " CHECKSUMS.sha256.",
        "Prints each problem on stderr, naming the entry.",
        "Exit codes: 0 valid, 1 invalid, 2 bad usage or an unreadable file."
      })
  static final class Verify implements Callable<Integer> {

    private final Output output;

    @Parameters(paramLabel = "FILE", description = "The package archive (.tar.gz).")
    Path file;

    @Option(
        names = "--max-size",
        paramLabel = "BYTES",
        description = "Most bytes the files may unpack to (default 1 GiB: 1073741824).")
    long maxBytes = PackageVerifier.Limits.DEFAULT.maxBytes();

    @Option(
        names = "--max-entries",
        paramLabel = "N",
        description = "Most entries the archive may hold (default 100000).")
    int maxEntries = PackageVerifier.Limits.DEFAULT.maxEntries();

    Verify(Output output) {
      this.output = output;
    }

    @Override
    public Integer call() {
      String prefix = "svcreg package verify: ";
      if (maxBytes < 0 || maxEntries < 1) {
        output.err().println(prefix + "--max-size must be >= 0 and --max-entries >= 1");
        output.err().flush();
        return Cli.ERROR;
      }
      PackageVerifier.Report r;
      try {
        r = new PackageVerifier(new PackageVerifier.Limits(maxBytes, maxEntries)).verify(file);
      } catch (NoSuchFileException e) {
        output.err().println(prefix + file + ": no such file");
        output.err().flush();
        return Cli.ERROR;
      } catch (IOException e) {
        output.err().println(prefix + "cannot read " + file + ": " + describe(e));
        output.err().flush();
        return Cli.ERROR;
      }
      if (!r.valid()) {
        for (String p : r.problems()) {
          output.err().println(prefix + file + ": " + p);
        }
        output.err().flush();
        output
            .out()
            .println(
                file + ": invalid (" + PlanSummary.plural(r.problems().size(), "problem") + ")");
        output.out().flush();
        return INVALID;
      }
      PackageManifest m = r.manifest().orElseThrow();
      output
          .out()
          .println(
              file
                  + ": valid: "
                  + m.name()
                  + " "
                  + m.version()
                  + ", "
                  + PlanSummary.plural(r.files(), "file")
                  + ", "
                  + r.bytes()
                  + " bytes unpacked, sha256 "
                  + r.sha256());
      output.out().flush();
      return Cli.OK;
    }
  }

  private static String describe(IOException e) {
    String m = e.getMessage();
    return m == null || m.isBlank()
        ? e.getClass().getSimpleName()
        : e.getClass() == IOException.class ? m : e.getClass().getSimpleName() + ": " + m;
  }
}

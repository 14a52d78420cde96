package io.svcreg.deploy.local;

import static io.svcreg.deploy.TestPackages.mode;
import static io.svcreg.deploy.TestPackages.names;
import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.deploy.DeployReasons;
import io.svcreg.deploy.DeployTimeouts;
import io.svcreg.deploy.InstallMarker;
import io.svcreg.deploy.InstallOutcome;
import io.svcreg.deploy.Observation;
import io.svcreg.deploy.ServiceEnvironment;
import io.svcreg.deploy.TestPackages;
import io.svcreg.deploy.TestPackages.Tar;
import io.svcreg.deploy.Trees;
import io.svcreg.deploy.UninstallOutcome;
import io.svcreg.schema.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Installing packages into a real install root: layout, modes, atomicity, hostile archives. */
class PackageInstallIT {

  @TempDir Path tmp;
  private Path root;
  private Path outside;
  private Instant now = Instant.parse("2026-03-01T10:00:00Z");
  private LocalDeployer deployer;

  @BeforeEach
  void setUp() throws IOException {
    root = tmp.resolve("opt");
    outside = Files.createDirectories(tmp.resolve("outside"));
    InstantSource clock = () -> now;
    deployer = new LocalDeployer(root, DeployTimeouts.DEFAULTS, clock, Waiter.system(), Map.of());
  }

  private Path pkg(String name) throws IOException {
    Path dir = tmp.resolve("src-" + name);
    TestPackages.directory(dir, name, "exec sleep 1000", "exit 0", "exit 0");
    return dir;
  }

  private InstallOutcome.Installed installed(InstallOutcome outcome) {
    assertThat(outcome).isInstanceOf(InstallOutcome.Installed.class);
    return (InstallOutcome.Installed) outcome;
  }

  private InstallOutcome.Failed failed(InstallOutcome outcome) {
    assertThat(outcome).isInstanceOf(InstallOutcome.Failed.class);
    return (InstallOutcome.Failed) outcome;
  }

  /** The install root holds no directory at all (no final one, no temporary left behind). */
  private void assertNothingInstalled() throws IOException {
    assertThat(Files.exists(root) ? names(root) : List.<String>of()).isEmpty();
  }

  @Test
  void install_directory_copiesTreeWithModesToNameVersionDirectory() throws IOException {
    Path src = pkg("store");
    Files.createDirectories(src.resolve("config"));
    Files.writeString(src.resolve("config/secret.properties"), "k=v\n");
    TestPackages.setMode(src.resolve("config/secret.properties"), 0640);
    Files.createDirectories(src.resolve("share/docs"));
    Files.writeString(src.resolve("share/docs/README"), "read me\n");
    TestPackages.setMode(src.resolve("share/docs"), 0555);
    Files.createSymbolicLink(src.resolve("bin"), Path.of("scripts"));

    InstallOutcome.Installed r = installed(deployer.install("store", "1.0.0", src));

    Path home = root.resolve("store-1.0.0");
    assertThat(r)
        .isEqualTo(new InstallOutcome.Installed("1.0.0", home.toString(), true, List.of()));
    assertThat(mode(home.resolve("scripts/start.sh"))).isEqualTo(0755);
    assertThat(mode(home.resolve("scripts/stop.sh"))).isEqualTo(0755);
    assertThat(mode(home.resolve("config/secret.properties"))).isEqualTo(0640);
    assertThat(mode(home.resolve("share/docs"))).isEqualTo(0555);
    assertThat(home.resolve("share/docs/README")).hasContent("read me");
    assertThat(Files.readSymbolicLink(home.resolve("bin"))).isEqualTo(Path.of("scripts"));
    assertThat(mode(home)).isEqualTo(0755);
    assertThat(names(root)).containsExactly("store-1.0.0");
    assertThat(deployer.installed("store")).containsExactly("1.0.0");
    TestPackages.setMode(src.resolve("share/docs"), 0755);
  }

  @Test
  void install_tarGz_extractsWithModesFromTheArchive() throws IOException {
    Path archive = tmp.resolve("store-1.0.0.tar.gz");
    try (Tar tar = new Tar(archive)) {
      tar.directory("./", 0755)
          .file("./manifest.yaml", 0644, "name: store\nversion: \"1.0.0\"\n")
          .directory("./scripts", 0750)
          .file("./scripts/start.sh", 0750, "#!/usr/bin/env bash\nexec sleep 1000\n")
          .file("./scripts/stop.sh", 0700, "#!/usr/bin/env bash\nexit 0\n")
          .file("./bin/tool", 0711, "#!/bin/sh\n")
          .file("./config/app.properties", 0600, "a=b\n")
          .hardlink("./config/copy.properties", "./config/app.properties")
          .symlink("./bin/start", "../scripts/start.sh");
    }

    installed(deployer.install("store", "1.0.0", archive));

    Path home = root.resolve("store-1.0.0");
    assertThat(mode(home.resolve("scripts"))).isEqualTo(0750);
    assertThat(mode(home.resolve("scripts/start.sh"))).isEqualTo(0750);
    assertThat(mode(home.resolve("scripts/stop.sh"))).isEqualTo(0700);
    assertThat(mode(home.resolve("bin/tool"))).isEqualTo(0711);
    assertThat(mode(home.resolve("bin"))).as("implicit directory").isEqualTo(0755);
    assertThat(mode(home.resolve("config/app.properties"))).isEqualTo(0600);
    assertThat(home.resolve("config/copy.properties")).hasContent("a=b");
    assertThat(home.resolve("bin/start")).hasSameTextualContentAs(home.resolve("scripts/start.sh"));
    assertThat(Files.isExecutable(home.resolve("scripts/start.sh"))).isTrue();
  }

  @Test
  void install_sameContentAgain_isNoOpAndKeepsTheDirectory() throws IOException {
    Path src = pkg("store");
    installed(deployer.install("store", "1.0.0", src));
    Path home = root.resolve("store-1.0.0");
    Files.createDirectories(home.resolve("logs"));
    Files.writeString(home.resolve("logs/service.log"), "written by the service\n");
    Object inode = Files.getAttribute(home, "unix:ino");

    InstallOutcome.Installed again = installed(deployer.install("store", "1.0.0", src));

    assertThat(again.changed()).isFalse();
    assertThat(Files.getAttribute(home, "unix:ino")).isEqualTo(inode);
    assertThat(home.resolve("logs/service.log")).hasContent("written by the service");
  }

  @Test
  void install_archiveOfAnInstalledDirectory_isSameContent() throws IOException {
    Path src = pkg("store");
    installed(deployer.install("store", "1.0.0", src));

    InstallOutcome.Installed fromTar =
        installed(
            deployer.install(
                "store", "1.0.0", TestPackages.tarGz(src, tmp.resolve("store.tar.gz"))));

    assertThat(fromTar.changed()).isFalse();
  }

  @Test
  void install_sameVersionOtherContent_replacesIt() throws IOException {
    Path src = pkg("store");
    installed(deployer.install("store", "1.0.0", src));
    Files.writeString(src.resolve("manifest.yaml"), "name: store\nversion: \"1.0.0\"\n# changed\n");

    InstallOutcome.Installed r = installed(deployer.install("store", "1.0.0", src));

    assertThat(r.changed()).isTrue();
    assertThat(root.resolve("store-1.0.0/manifest.yaml")).content().contains("# changed");
    assertThat(names(root)).containsExactly("store-1.0.0");
  }

  @Test
  void install_newVersions_keepCurrentAndPreviousAndPruneOlder() throws IOException {
    Path src = pkg("store");
    installed(deployer.install("store", "1.0.0", src));
    now = now.plusSeconds(60);
    installed(deployer.install("store", "1.1.0", src));
    now = now.plusSeconds(60);

    InstallOutcome.Installed third = installed(deployer.install("store", "2.0.0", src));

    assertThat(third.removed()).containsExactly("1.0.0");
    assertThat(deployer.installed("store")).containsExactly("2.0.0", "1.1.0");
    assertThat(names(root)).containsExactly("store-1.1.0", "store-2.0.0");
  }

  @Test
  void install_afterRollbackToAnOlderVersion_keepsTheStartedOneAsPrevious() throws IOException {
    Path src = pkg("store");
    installed(deployer.install("store", "1.0.0", src));
    now = now.plusSeconds(60);
    installed(deployer.install("store", "1.1.0", src));
    now = now.plusSeconds(60);
    // 1.1.0 failed; the controller rolled back and started 1.0.0 again
    new PackageInstaller(root, () -> now, ServiceEnvironment.DEFAULT_PATH, (s, d, pid) -> {})
        .markStarted("store", "1.0.0");
    now = now.plusSeconds(60);

    InstallOutcome.Installed r = installed(deployer.install("store", "1.2.0", src));

    assertThat(r.removed()).containsExactly("1.1.0");
    assertThat(deployer.installed("store")).containsExactly("1.2.0", "1.0.0");
  }

  @Test
  void installed_serviceWhoseNameIsAPrefixOfAnother_listsOnlyItsOwnVersions() throws IOException {
    installed(deployer.install("api", "1.0.0", pkg("api")));
    installed(deployer.install("api-server", "1.0.0", pkg("api-server")));

    assertThat(deployer.installed("api")).containsExactly("1.0.0");
    assertThat(deployer.installed("api-server")).containsExactly("1.0.0");
    assertThat(deployer.installed("web")).isEmpty();
  }

  @Test
  void uninstall_removesEveryVersionOfOnlyThatService() throws IOException {
    installed(deployer.install("api", "1.0.0", pkg("api")));
    now = now.plusSeconds(1);
    installed(deployer.install("api", "1.1.0", pkg("api")));
    installed(deployer.install("api-server", "1.0.0", pkg("api-server")));
    Files.createDirectories(root.resolve("api-1.1.0/logs"));

    UninstallOutcome r = deployer.uninstall("api");

    assertThat(r).isInstanceOf(UninstallOutcome.Uninstalled.class);
    assertThat(((UninstallOutcome.Uninstalled) r).removed())
        .containsExactlyInAnyOrder("1.0.0", "1.1.0");
    assertThat(names(root)).containsExactly("api-server-1.0.0");
    assertThat(deployer.uninstall("api")).isEqualTo(new UninstallOutcome.Uninstalled(List.of()));
  }

  @Test
  void install_missingPackage_failsWithPackageNotFound() {
    InstallOutcome.Failed f = failed(deployer.install("store", "1.0.0", tmp.resolve("nope")));

    assertThat(f.reason()).isEqualTo(DeployReasons.PACKAGE_NOT_FOUND);
    assertThat(f.message()).contains("nope");
  }

  @Test
  void install_notAPackageFile_failsAsInvalid() throws IOException {
    Path zip = Files.writeString(tmp.resolve("store.zip"), "PK");

    assertThat(failed(deployer.install("store", "1.0.0", zip)).reason())
        .isEqualTo(DeployReasons.INVALID_PACKAGE);
    assertNothingInstalled();
  }

  @Test
  void install_withoutStopScript_isRefusedAndNothingInstalled() throws IOException {
    Path src = pkg("store");
    Files.delete(src.resolve("scripts/stop.sh"));

    InstallOutcome.Failed f = failed(deployer.install("store", "1.0.0", src));

    assertThat(f.reason()).isEqualTo(DeployReasons.INVALID_PACKAGE);
    assertThat(f.message()).contains("scripts/stop.sh");
    assertNothingInstalled();
  }

  @Test
  void install_startScriptNotExecutable_isRefused() throws IOException {
    Path src = pkg("store");
    TestPackages.setMode(src.resolve("scripts/start.sh"), 0644);

    InstallOutcome.Failed f = failed(deployer.install("store", "1.0.0", src));

    assertThat(f.message()).contains("scripts/start.sh", "not executable");
    assertNothingInstalled();
  }

  /** A package of {@code name} whose manifest requires these commands and libraries. */
  private Path requiring(String name, List<String> commands, List<String> libraries)
      throws IOException {
    Path src = pkg(name);
    Files.writeString(
        src.resolve("manifest.yaml"),
        "name: "
            + name
            + "\nversion: \"1.0.0\"\nrequires:\n  commands: "
            + Json.mapper().writeValueAsString(commands)
            + "\n  libraries: "
            + Json.mapper().writeValueAsString(libraries)
            + "\n");
    return src;
  }

  @Test
  void install_requiredCommandAndLibraryMissing_failsNamingBothAndInstallsNothing()
      throws IOException {
    Path src =
        requiring(
            "req",
            List.of("sh", "svcreg-no-such-command-xyz"),
            List.of("libc.so.6", "libsvcreg-no-such-lib-xyz.so.1"));

    InstallOutcome.Failed f = failed(deployer.install("req", "1.0.0", src));

    assertThat(f.reason()).isEqualTo(DeployReasons.REQUIREMENT_MISSING);
    assertThat(f.message())
        .isEqualTo(
            "cannot install req 1.0.0 on the controller's host: missing command"
                + " svcreg-no-such-command-xyz, library libsvcreg-no-such-lib-xyz.so.1 (requires"
                + " in its manifest.yaml; commands are looked up in the scripts' PATH "
                + ServiceEnvironment.DEFAULT_PATH
                + "); install them there");
    assertNothingInstalled();
  }

  @Test
  void install_requiredCommandAndLibraryPresent_installs() throws IOException {
    Path src = requiring("req", List.of("sh", "/bin/sh"), List.of("libc.so.6"));

    installed(deployer.install("req", "1.0.0", src));

    assertThat(names(root)).containsExactly("req-1.0.0");
  }

  @Test
  void install_dockerPackageOnAHostWithoutDocker_failsWithRequirementMissing() throws IOException {
    Path bin = Files.createDirectories(tmp.resolve("empty/bin"));
    LocalDeployer noDocker =
        new LocalDeployer(
            root,
            DeployTimeouts.DEFAULTS,
            () -> now,
            Waiter.system(),
            Map.of("PATH", bin.toString()));
    Path src = pkg("box");
    Files.writeString(
        src.resolve("manifest.yaml"),
        "name: box\nversion: \"1.0.0\"\nservice: {type: docker, image: shop/box:1}\n");

    InstallOutcome.Failed f = failed(noDocker.install("box", "1.0.0", src));

    assertThat(f.reason()).isEqualTo(DeployReasons.REQUIREMENT_MISSING);
    assertThat(f.message())
        .isEqualTo(
            "cannot install box 1.0.0 on the controller's host: missing command docker (requires"
                + " in its manifest.yaml, and docker for its service.type docker; commands are"
                + " looked up in the scripts' PATH "
                + bin
                + "); install it there");
    assertNothingInstalled();
  }

  @Test
  void install_requiredCommand_isLookedUpInTheScriptsPathAsAnExecutableFile() throws IOException {
    Path bin = Files.createDirectories(tmp.resolve("tools/bin"));
    TestPackages.setMode(Files.writeString(bin.resolve("svcreg-tool"), "#!/bin/sh\n"), 0755);
    TestPackages.setMode(Files.writeString(bin.resolve("svcreg-data"), "not a program\n"), 0644);
    LocalDeployer withTools =
        new LocalDeployer(
            root,
            DeployTimeouts.DEFAULTS,
            () -> now,
            Waiter.system(),
            Map.of("PATH", bin + ":" + ServiceEnvironment.DEFAULT_PATH));

    Path tool = requiring("tool", List.of("svcreg-tool"), List.of());
    Path data = requiring("data", List.of("svcreg-data", "bin/sh"), List.of());

    assertThat(failed(deployer.install("tool", "1.0.0", tool)).message())
        .as("not on the default PATH of the scripts")
        .contains("missing command svcreg-tool (");
    installed(withTools.install("tool", "1.0.0", tool));
    assertThat(failed(withTools.install("data", "1.0.0", data)).message())
        .as("not executable; a relative path")
        .contains("missing command svcreg-data, command bin/sh (");
  }

  @Test
  void install_requirementNamesWithShellSyntax_areOnlyNames() throws IOException {
    Path marker = tmp.resolve("ran");
    String command = "x'$(touch " + marker + ")'\"; touch " + marker + "; '";
    String library = "lib`touch " + marker + "`.so";

    InstallOutcome.Failed f =
        failed(
            deployer.install("req", "1.0.0", requiring("req", List.of(command), List.of(library))));

    assertThat(f.reason()).isEqualTo(DeployReasons.REQUIREMENT_MISSING);
    assertThat(f.message()).contains("missing command " + command + ", library " + library + " (");
    assertThat(marker).doesNotExist();
    assertNothingInstalled();
  }

  @Test
  void install_truncatedArchive_failsAndLeavesNoDirectory() throws IOException {
    Path archive = tmp.resolve("big.tar.gz");
    try (Tar tar = new Tar(archive)) {
      tar.required().file("data/blob", 0644, new byte[200_000]);
    }
    byte[] bytes = Files.readAllBytes(archive);
    Path truncated = tmp.resolve("truncated.tar.gz");
    Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length / 2));

    InstallOutcome.Failed f = failed(deployer.install("store", "1.0.0", truncated));

    assertThat(f.reason()).isEqualTo(DeployReasons.INVALID_PACKAGE);
    assertNothingInstalled();
  }

  @Test
  void install_failedUpgrade_leavesTheInstalledVersionsAsTheyWere() throws IOException {
    Path src = pkg("store");
    installed(deployer.install("store", "1.0.0", src));
    Path bad = tmp.resolve("bad.tar.gz");
    try (Tar tar = new Tar(bad)) {
      tar.required().file("../escape", 0644, "x");
    }

    failed(deployer.install("store", "1.0.0", bad));
    failed(deployer.install("store", "2.0.0", bad));

    assertThat(names(root)).containsExactly("store-1.0.0");
    assertThat(deployer.observe("store", "1.0.0", Optional.empty()).installed()).isTrue();
  }

  @Test
  void install_leftoversOfACrash_areDeletedByTheNextInstall() throws IOException {
    Files.createDirectories(root.resolve(".tmp.store.123/scripts"));
    Files.createDirectories(root.resolve(".old.store.456"));
    Files.createDirectories(root.resolve(".tmp.other.789"));

    installed(deployer.install("store", "1.0.0", pkg("store")));

    assertThat(names(root)).containsExactly(".tmp.other.789", "store-1.0.0");
  }

  @Test
  void removeLeftovers_ofInterruptedInstallsOfAnyService_deletesThemAndNothingElse()
      throws IOException {
    installed(deployer.install("store", "1.0.0", pkg("store")));
    Files.createDirectories(root.resolve(".tmp.store.123/scripts"));
    Files.createDirectories(root.resolve(".old.api.456"));
    Files.createDirectories(root.resolve(".tmp.other.789"));
    Files.writeString(root.resolve(".svcreg-run.store"), "state=running\n");
    Files.writeString(root.resolve("..svcreg-run.store.1f2e3d.tmp"), "state=runn");

    deployer.removeLeftovers();

    assertThat(names(root)).containsExactly(".svcreg-run.store", "store-1.0.0");
    assertThat(deployer.observe("store", "1.0.0", Optional.empty()).installed()).isTrue();
  }

  @Test
  void install_directoryNotMadeBySvcreg_isAConflictAndLeftAlone() throws IOException {
    Files.createDirectories(root.resolve("store-1.0.0"));
    Files.writeString(root.resolve("store-1.0.0/mine.txt"), "keep");

    InstallOutcome.Failed f = failed(deployer.install("store", "1.0.0", pkg("store")));

    assertThat(f.reason()).isEqualTo(DeployReasons.INSTALL_CONFLICT);
    assertThat(root.resolve("store-1.0.0/mine.txt")).hasContent("keep");
    assertThat(names(root)).containsExactly("store-1.0.0");
  }

  @Test
  void install_reservedMarkerNameInPackage_isRefused() throws IOException {
    Path src = pkg("store");
    Files.writeString(src.resolve(InstallMarker.FILE), "service=other\n");

    assertThat(failed(deployer.install("store", "1.0.0", src)).reason())
        .isEqualTo(DeployReasons.INVALID_PACKAGE);
    assertNothingInstalled();
  }

  static Stream<Arguments> hostileArchives() {
    return Stream.of(
        Arguments.of("zip-slip", (Entries) t -> t.file("../x", 0644, "x"), "climbs out with `..`"),
        Arguments.of(
            "deep zip-slip",
            (Entries) t -> t.file("config/../../x", 0644, "x"),
            "climbs out with `..`"),
        Arguments.of(
            "absolute path",
            (Entries) t -> t.file("/tmp/svcreg-abs-x", 0644, "x"),
            "has an absolute path"),
        Arguments.of(
            "symlink to parent",
            (Entries) t -> t.symlink("up", "../outside"),
            "`up` points outside the package"),
        Arguments.of(
            "absolute symlink",
            (Entries) t -> t.symlink("etc", "/etc"),
            "`etc` points to the absolute path /etc"),
        Arguments.of(
            "symlink chain escaping",
            (Entries) t -> t.symlink("sub/a", "..").symlink("b", "sub/a/.."),
            "`b` points outside the package (via sub/a/..)"),
        Arguments.of(
            "write through symlink",
            (Entries) t -> t.symlink("d", "scripts").file("d/evil.sh", 0755, "x"),
            "goes through the symbolic link `d`"),
        Arguments.of(
            "hardlink escape",
            (Entries) t -> t.hardlink("h", "../outside/target"),
            "hard link `h` points outside the package"),
        Arguments.of(
            "absolute hardlink",
            (Entries) t -> t.hardlink("h", "/etc/passwd"),
            "hard link `h` points outside the package"),
        Arguments.of(
            "character device",
            (Entries) t -> t.special("dev/null", TarConstants.LF_CHR),
            "`dev/null` is a device"),
        Arguments.of(
            "block device",
            (Entries) t -> t.special("dev/sda", TarConstants.LF_BLK),
            "`dev/sda` is a device"),
        Arguments.of(
            "fifo", (Entries) t -> t.special("pipe", TarConstants.LF_FIFO), "`pipe` is a fifo"));
  }

  /** Adds entries to an archive. */
  @FunctionalInterface
  interface Entries {
    void add(Tar tar) throws IOException;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileArchives")
  void install_hostileArchive_isRefusedAndNothingInstalled(String name, Entries entries, String why)
      throws IOException {
    Files.writeString(outside.resolve("target"), "outside");
    Path archive = tmp.resolve("hostile.tar.gz");
    try (Tar tar = new Tar(archive)) {
      tar.required();
      entries.add(tar);
    }

    InstallOutcome.Failed f = failed(deployer.install("store", "1.0.0", archive));

    assertThat(f.reason()).isEqualTo(DeployReasons.UNSAFE_PACKAGE);
    assertThat(f.message()).startsWith("cannot install store 1.0.0: ").contains(why);
    assertNothingInstalled();
    assertThat(names(outside)).containsExactly("target");
    assertThat(tmp.resolve("x")).doesNotExist();
    assertThat(Path.of("/tmp/svcreg-abs-x")).doesNotExist();
  }

  @Test
  void install_directoryWithSymlinkLeadingOutside_isRefused() throws IOException {
    Path src = pkg("store");
    Files.createSymbolicLink(src.resolve("data"), outside);

    assertThat(failed(deployer.install("store", "1.0.0", src)).reason())
        .isEqualTo(DeployReasons.UNSAFE_PACKAGE);
    assertNothingInstalled();
  }

  @Test
  void install_directoryWithFifo_isRefused() throws Exception {
    Path src = pkg("store");
    Process mkfifo = new ProcessBuilder("mkfifo", src.resolve("pipe").toString()).start();
    assertThat(mkfifo.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(mkfifo.exitValue()).isZero();

    assertThat(failed(deployer.install("store", "1.0.0", src)).reason())
        .isEqualTo(DeployReasons.UNSAFE_PACKAGE);
    assertNothingInstalled();
  }

  @Test
  void install_symlinksThatStayInside_areAllowed() throws IOException {
    Path archive = tmp.resolve("links.tar.gz");
    try (Tar tar = new Tar(archive)) {
      tar.required()
          .file("lib/libx.so.1", 0644, "elf")
          .symlink("lib/libx.so", "libx.so.1")
          .symlink("bin/x", "../lib/libx.so")
          .symlink("sub/self", "..")
          .symlink("cycle", "cycle");
    }

    InstallOutcome r = deployer.install("store", "1.0.0", archive);

    // a link to itself is a loop, which the kernel would refuse to follow: refused too
    assertThat(failed(r).message()).contains("`cycle`", "loop of symbolic links");
    try (Tar tar = new Tar(archive)) {
      tar.required()
          .file("lib/libx.so.1", 0644, "elf")
          .symlink("lib/libx.so", "libx.so.1")
          .symlink("bin/x", "../lib/libx.so")
          .symlink("sub/self", "..");
    }
    installed(deployer.install("store", "1.0.0", archive));
    assertThat(root.resolve("store-1.0.0/bin/x")).hasContent("elf");
  }

  @Test
  void observe_installDirectoryDeleted_isNotInstalled() throws IOException {
    installed(deployer.install("store", "1.0.0", pkg("store")));
    assertThat(deployer.observe("store", "1.0.0", Optional.empty()))
        .isEqualTo(new Observation(true, false));

    Trees.delete(root.resolve("store-1.0.0"));

    assertThat(deployer.observe("store", "1.0.0", Optional.empty()))
        .isEqualTo(new Observation(false, false));
    assertThat(deployer.installed("store")).isEmpty();
  }
}

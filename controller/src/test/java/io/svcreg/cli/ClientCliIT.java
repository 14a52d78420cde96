package io.svcreg.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.svcreg.Waits;
import io.svcreg.api.ApiServer;
import io.svcreg.client.LiveApi;
import io.svcreg.core.Snapshot;
import io.svcreg.schema.Json;
import io.svcreg.source.Git;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client commands, run in process, against a real controller and API server. */
class ClientCliIT {

  @TempDir static Path tmp;
  @TempDir Path work;
  static LiveApi live;
  static String specsCommit;

  @BeforeAll
  static void start() throws IOException {
    // the controller's spec directory is a Git work tree; its specs are committed once it runs
    Git git = Git.init(Files.createDirectories(tmp.resolve("specs")));
    live = LiveApi.start(tmp);
    specsCommit = git.commitAll("specs");
  }

  @AfterAll
  static void stop() {
    if (live != null) {
      live.close();
    }
  }

  private static CliRun svcreg(String... args) {
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--data";
    all[args.length + 1] = live.data().toString();
    return CliRun.of(all);
  }

  @Test
  void getServices_table_listsTheRunningService() {
    CliRun run = svcreg("get", "services");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.out()).startsWith("SERVICE ").containsPattern("(?m)^web +running +1\\.0\\.0");
    assertThat(run.err()).isEmpty();
  }

  @Test
  void getServices_json_isASnapshotThatPlanStateReads() throws IOException {
    CliRun get = svcreg("get", "services", "-o", "json");
    Path state = Files.writeString(work.resolve("state.json"), get.out());

    CliRun plan =
        CliRun.of("plan", "--specs", live.specs().toString(), "--state", state.toString());

    assertThat(get.exitCode()).as(get.toString()).isZero();
    assertThat(Snapshot.fromJson(get.out()).service("web")).isPresent();
    assertThat(plan.exitCode()).as(plan.toString()).isEqualTo(Cli.OK);
    assertThat(plan.out()).contains("No changes");
  }

  @Test
  void getService_yaml_showsOneService() {
    CliRun run = svcreg("get", "service", "web", "-o", "yaml");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.out()).contains("name: web").contains("phase: running");
  }

  @Test
  void getNetworksAndEndpoints_table_showThem() {
    CliRun nets = svcreg("get", "networks");
    CliRun eps = svcreg("get", "endpoints");

    assertThat(nets.out())
        .as(nets.toString())
        .containsPattern("(?m)^local +local +127\\.0\\.0\\.0/24");
    assertThat(eps.out())
        .as(eps.toString())
        .containsPattern("(?m)^web +http +127\\.0\\.0\\.\\d+ +8080 +http");
  }

  @Test
  void getService_unknown_isOneLineNotFoundAndExit2() {
    CliRun run = svcreg("get", "services", "nope");

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines()).hasSize(1);
    assertThat(run.err()).startsWith("svcreg get: ").contains("(not_found)");
  }

  @Test
  void get_untrustedCa_saysToPassCa() throws Exception {
    Path otherCa = Files.writeString(work.resolve("ca.crt"), someOtherCaPem());

    CliRun run = svcreg("get", "services", "--ca", otherCa.toString());

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines()).hasSize(1);
    assertThat(run.err()).contains("not trusted by the CA " + otherCa).contains("--ca");
  }

  /** A CA that did not sign the server's certificate: one of the JDK's trusted roots, as PEM. */
  private static String someOtherCaPem() throws Exception {
    java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
    try (var in =
        Files.newInputStream(Path.of(System.getProperty("java.home"), "lib/security/cacerts"))) {
      ks.load(in, "changeit".toCharArray());
    }
    String alias = java.util.Collections.list(ks.aliases()).get(0);
    return "-----BEGIN CERTIFICATE-----\n"
        + java.util.Base64.getMimeEncoder(
                64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII))
            .encodeToString(ks.getCertificate(alias).getEncoded())
        + "\n-----END CERTIFICATE-----\n";
  }

  @Test
  void action_restart_isRecordedAndShowsInWatch() throws Exception {
    long before = live.app().store().lastRevision();

    CliRun action = svcreg("action", "web", "restart");
    CliRun watch =
        svcreg(
            "watch",
            "--since",
            Long.toString(before),
            "--events",
            "service_state_changed",
            "--count",
            "2");

    assertThat(action.exitCode()).as(action.toString()).isZero();
    assertThat(action.out()).matches("Service/web: restart requested \\(revision \\d+\\)\n");
    assertThat(watch.exitCode()).as(watch.toString()).isZero();
    assertThat(watch.out().lines().toList())
        .hasSize(2)
        .allMatch(l -> l.contains("service_state_changed") && l.contains("Service/web"));
  }

  @Test
  void watch_json_printsOneEventObjectPerLine() {
    long before = live.emit(1);
    live.emit(2);

    CliRun run = svcreg("watch", "--since", Long.toString(before), "-o", "json", "--count", "2");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    List<String> lines = run.out().lines().toList();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0))
        .startsWith("{")
        .contains("\"type\":\"event\"")
        .contains("\"revision\":" + (before + 1));
  }

  @Test
  void watch_revisionOfSeveralEvents_printsEachAsASingleEvent() {
    long before = live.emit(1);
    long shared = live.emitShared(2);
    String since = Long.toString(before);

    CliRun json = svcreg("watch", "--since", since, "-o", "json", "--count", "2");
    CliRun text = svcreg("watch", "--since", since, "--count", "2");

    assertThat(json.exitCode()).as(json.toString()).isZero();
    assertThat(json.out().lines().toList())
        .hasSize(2)
        .allMatch(
            l ->
                l.startsWith(
                    "{\"type\":\"event\",\"event\":\"reconcile_diff\",\"revision\":"
                        + shared
                        + ","))
        .anyMatch(l -> l.contains("\"generation\":0"))
        .anyMatch(l -> l.contains("\"generation\":1"));
    assertThat(text.exitCode()).as(text.toString()).isZero();
    assertThat(text.out().lines().toList())
        .hasSize(2)
        .allMatch(l -> l.matches(".*\\s" + shared + "\\s+reconcile_diff\\s+Service/web.*"));
  }

  @Test
  void watch_withoutSince_startsWithTheSnapshot() {
    CliRun run = svcreg("watch", "--count", "1");

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.out())
        .contains("registry_loaded")
        .containsPattern("\\d+ services, \\d+ networks");
  }

  @Test
  void watch_sinceTooNew_explainsAndExits2() {
    CliRun run = svcreg("watch", "--since", "999999999");

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines()).hasSize(1);
    assertThat(run.err()).contains("--since 999999999").contains("without --since");
  }

  @Test
  void get_severalServersTheFirstDown_answersFromTheNext() {
    CliRun run = svcreg("get", "services", "--server", "wss://127.0.0.1:1/v1/ws," + live.url());

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.out()).containsPattern("(?m)^web +running +1\\.0\\.0");
  }

  @Test
  void watch_severalServers_goesOnWhenItsMemberGoesAway() throws Exception {
    long start = live.emit(1);
    ApiServer member = live.startAnotherServer(); // the same journal on another port
    try (member) {
      Watching watch = watchSixDiffs(start, "--server", member.url() + "," + live.url());
      live.emit(3);
      Waits.atMost(Duration.ofSeconds(20)).until(() -> watch.out().toString().lines().count() >= 3);
      member.close();
      long end = live.emit(3);

      assertThat(watch.exit().get(60, TimeUnit.SECONDS)).as(watch.err().toString()).isZero();
      assertThat(watch.out().toString().lines().toList())
          .hasSize(6)
          .last()
          .asString()
          .containsPattern("\\s" + end + "\\s+reconcile_diff");
      assertThat(watch.err().toString())
          .contains("reconnecting")
          .contains("reconnected to " + live.url() + "; resumed after revision " + (start + 3));
    }
  }

  /** A {@code svcreg watch} running in the background: its exit code, what it prints. */
  private record Watching(CompletableFuture<Integer> exit, StringWriter out, StringWriter err) {}

  /**
   * Starts {@code svcreg watch} of the live controller's {@code reconcile_diff} events after {@code
   * since}, until 6, with {@code more} options.
   */
  private static Watching watchSixDiffs(long since, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "watch",
                "--since",
                Long.toString(since),
                "--events",
                "reconcile_diff",
                "--count",
                "6",
                "--data",
                live.data().toString()));
    args.addAll(List.of(more));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CompletableFuture<Integer> exit =
        CompletableFuture.supplyAsync(
            () ->
                io.svcreg.Main.run(
                    args.toArray(String[]::new),
                    new PrintWriter(out, true),
                    new PrintWriter(err, true)));
    return new Watching(exit, out, err);
  }

  @Test
  void watch_serverRestarts_resumesAndSaysSo() throws Exception {
    long start = live.emit(1);
    Watching watch = watchSixDiffs(start);
    live.emit(3);
    Waits.atMost(Duration.ofSeconds(20)).until(() -> watch.out().toString().lines().count() >= 3);
    live.restartServer();
    live.emit(3);

    assertThat(watch.exit().get(60, TimeUnit.SECONDS)).isZero();
    assertThat(watch.out().toString().lines().toList()).hasSize(6);
    assertThat(watch.err().toString()).contains("reconnecting").contains("resumed after revision");
  }

  @Test
  void applyThroughServer_writesIntoTheControllersSpecDirectory() throws IOException {
    Path file =
        Files.writeString(
            work.resolve("lab.yaml"),
            """
            apiVersion: svcreg.io/v1
            kind: Network
            metadata: {name: lab}
            spec: {type: local, subnet: 127.0.1.0/24}
            """);

    CliRun run = svcreg("apply", "-f", file.toString());

    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.out()).startsWith("Network/lab created (");
    Path written = Path.of(run.out().strip().replaceAll(".*\\((.*)\\)$", "$1"));
    assertThat(written).startsWith(live.specs()).exists();
  }

  @Test
  void applyThroughServer_invalid_showsProblemsAtTheFilesLines() throws IOException {
    Path file =
        Files.writeString(
            work.resolve("bad.yaml"),
            """
            apiVersion: svcreg.io/v1
            kind: Service
            metadata: {name: broken}
            spec:
              version: "1.0.0"
              package: ../packages/web
              network: local
              endpoints: [{name: http, port: 99999, protocol: http}]
            """);

    CliRun run = svcreg("apply", "-f", file.toString());

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.err()).contains(":8:").contains("nothing written");
  }

  /**
   * A package directory {@code packages/NAME} with a manifest and its scripts, below {@code dir}.
   */
  private static Path pkg(Path dir, String name) throws IOException {
    Path pkg = Files.createDirectories(dir.resolve("packages").resolve(name));
    Files.writeString(pkg.resolve("manifest.yaml"), "name: " + name + "\nversion: \"1.0.0\"\n");
    Path scripts = Files.createDirectories(pkg.resolve("scripts"));
    for (String script : List.of("start.sh", "stop.sh")) {
      Files.writeString(scripts.resolve(script), "#!/bin/sh\nexit 0\n");
      Files.setPosixFilePermissions(
          scripts.resolve(script), PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    return pkg;
  }

  /** A stopped service {@code NAME} on network local, with package {@code packages/NAME}. */
  private static String stoppedService(String name) {
    return "apiVersion: svcreg.io/v1\nkind: Service\nmetadata: {name: %s}\n".formatted(name)
        + "spec: {version: \"1.0.0\", package: packages/%s, network: local, state: stopped}\n"
            .formatted(name);
  }

  @Test
  void applyThroughServer_directoryWithItsPackage_packageWrittenBesideTheSpec() throws IOException {
    Path dir = Files.createDirectories(work.resolve("bundle"));
    pkg(dir, "queue");
    Files.writeString(dir.resolve("queue.yaml"), stoppedService("queue"));

    CliRun run = svcreg("apply", "-f", dir.toString());
    CliRun again = svcreg("apply", "-f", dir.toString());

    Path written = live.specs().resolve("packages/queue");
    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.out())
        .contains("Service/queue created (" + live.specs().resolve("service-queue.yaml") + ")")
        .contains("package " + written + " written");
    assertThat(written.resolve("scripts/start.sh")).isExecutable();
    assertThat(written.resolve("manifest.yaml"))
        .hasSameTextualContentAs(dir.resolve("packages/queue/manifest.yaml"));
    assertThat(again.exitCode()).as(again.toString()).isZero();
    assertThat(again.out()).contains("Service/queue unchanged").doesNotContain("package ");
    assertThat(live.specs().resolve(".svcreg-apply.lock")).doesNotExist();
  }

  @Test
  void applyThroughServer_packageOutsideTheSpecDirectory_problemAtTheFilesLine()
      throws IOException {
    Path dir = Files.createDirectories(work.resolve("deep/er"));
    pkg(work, "far");
    Path file =
        Files.writeString(
            dir.resolve("far.yaml"),
            stoppedService("far").replace("packages/far", "../../packages/far"));

    CliRun run = svcreg("apply", "-f", file.toString());

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines())
        .first()
        .asString()
        .startsWith(file + ":4:35: spec.package: cannot bring package `../../packages/far`")
        .contains("outside the spec directory");
  }

  @Test
  void applyThroughServer_packagesLargerThanOneMessage_oneLineSayingWhatToDo() throws IOException {
    Path dir = Files.createDirectories(work.resolve("big"));
    byte[] noise = new byte[1_500_000];
    new java.util.Random(1).nextBytes(noise);
    Files.write(pkg(dir, "big").resolve("blob.bin"), noise);
    Files.writeString(dir.resolve("big.yaml"), stoppedService("big"));

    CliRun run = svcreg("apply", "-f", dir.toString());

    assertThat(run.exitCode()).isEqualTo(Cli.ERROR);
    assertThat(run.errLines())
        .singleElement()
        .asString()
        .startsWith("svcreg apply: the specs and the 1 package next to them take ")
        .contains("more than the controller takes in one message")
        .contains("apply --specs DIR on the controller's host");
    assertThat(live.specs().resolve("packages/big")).doesNotExist();
  }

  @Test
  void planThroughServer_ownSpecs_hasNoChangesOnceConverged() {
    Waits.atMost(Duration.ofSeconds(30)).until(() -> svcreg("plan").exitCode() == Cli.OK);

    assertThat(svcreg("plan").out()).contains("No changes");
  }

  @Test
  void planThroughServer_otherSpecs_showsTheChangeAndExits1() throws IOException {
    // beside the live spec directory, so that ../packages/web is the same package
    Path specs = Files.createDirectories(live.specs().resolveSibling("other-specs"));
    Files.writeString(
        specs.resolve("web.yaml"),
        Files.readString(live.specs().resolve("web.yaml")).replace("8080", "9090"));
    Files.copy(live.specs().resolve("network.yaml"), specs.resolve("network.yaml"));

    CliRun run =
        svcreg(
            "plan", "--specs", specs.toString(), "--server", live.url().toString(), "-o", "json");

    assertThat(run.exitCode()).as(run.toString()).isEqualTo(Cli.CHANGES);
    assertThat(run.out()).contains("\"key\": \"Service/web\"");
    // other-specs is not in a Git work tree; the controller's commit is not the one planned
    assertThat(sourceRevision(run)).isEmpty();
  }

  @Test
  void planThroughServer_ownSpecsInGit_namesTheControllersCommitInEveryFormat() {
    // the commit is seen by the spec directory's watcher, or by its rescan (every 30 s)
    Waits.atMost(Duration.ofSeconds(60))
        .until(() -> sourceRevision(svcreg("plan", "-o", "json")).equals(specsCommit));

    assertThat(svcreg("plan", "-o", "markdown").out())
        .contains(
            "\n\nSpec directory at commit `"
                + specsCommit.substring(0, 7)
                + "` ("
                + specsCommit
                + ").\n\n");
    assertThat(svcreg("plan").out()).startsWith("Spec directory at Git commit " + specsCommit);
  }

  @Test
  void planThroughServer_specsInAnotherGitWorkTree_thatCommit() throws IOException {
    Path specs = Files.createDirectories(work.resolve("specs"));
    for (String f : List.of("network.yaml", "web.yaml")) {
      Files.copy(live.specs().resolve(f), specs.resolve(f));
    }
    String head = Git.init(work).commitAll("a copy");

    CliRun run =
        svcreg(
            "plan", "--specs", specs.toString(), "--server", live.url().toString(), "-o", "json");

    assertThat(run.exitCode()).as(run.toString()).isIn(Cli.OK, Cli.CHANGES);
    assertThat(sourceRevision(run)).isEqualTo(head);
  }

  /** The {@code sourceRevision} of a {@code plan -o json} run ("" when absent). */
  private static String sourceRevision(CliRun run) {
    try {
      return Json.mapper().readTree(run.out()).path("sourceRevision").asText("");
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + run, e);
    }
  }
}

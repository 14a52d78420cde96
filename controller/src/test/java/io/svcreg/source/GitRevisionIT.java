package io.svcreg.source;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitRevisionIT {

  @TempDir Path tmp;

  private static String readFromFiles(Path dir) {
    return GitRevision.locate(dir).flatMap(GitRevision::fromFiles).orElseThrow();
  }

  @Test
  void of_notAGitWorkTree_empty() {
    assertThat(GitRevision.of(tmp)).isEmpty();
    assertThat(GitRevision.locate(tmp)).isEmpty();
  }

  @Test
  void of_noCommitYet_empty() {
    Git.init(tmp);

    assertThat(GitRevision.of(tmp)).isEmpty();
    assertThat(GitRevision.locate(tmp).flatMap(GitRevision::fromFiles)).isEmpty();
  }

  @Test
  void of_subdirectoryOfWorkTree_headCommit() throws IOException {
    Git git = Git.init(tmp);
    Path specs = Files.createDirectories(tmp.resolve("deploy/specs"));
    SpecFixtures.write(specs.resolve("net.yaml"), SpecFixtures.network("local"));
    String head = git.commitAll("first");

    assertThat(GitRevision.of(specs)).contains(head);
    assertThat(GitRevision.fromGit(specs)).contains(head);
    assertThat(readFromFiles(specs)).isEqualTo(head);
  }

  @Test
  void fromFiles_packedRefs_headCommit() {
    Git git = Git.init(tmp);
    git.commitAll("first");
    String head = git.commitAll("second");
    git.run("pack-refs", "--all", "--prune");

    assertThat(tmp.resolve(".git/refs/heads/main")).doesNotExist();
    assertThat(readFromFiles(tmp)).isEqualTo(head);
  }

  @Test
  void fromFiles_detachedHead_thatCommit() {
    Git git = Git.init(tmp);
    String first = git.commitAll("first");
    git.commitAll("second");
    git.run("checkout", "-q", "--detach", first);

    assertThat(readFromFiles(tmp)).isEqualTo(first);
    assertThat(GitRevision.of(tmp)).contains(first);
  }

  @Test
  void fromFiles_linkedWorkTree_itsOwnHead() {
    Path main = tmp.resolve("main");
    Git git = Git.init(mkdirs(main));
    String first = git.commitAll("first");
    git.run("branch", "other");
    String second = git.commitAll("second");
    Path linked = tmp.resolve("linked");
    git.run("worktree", "add", "-q", linked.toString(), "other");

    assertThat(Files.isRegularFile(linked.resolve(".git"))).isTrue();
    assertThat(readFromFiles(linked)).isEqualTo(first);
    assertThat(GitRevision.of(linked)).contains(first);
    assertThat(readFromFiles(main)).isEqualTo(second);
    assertThat(GitRevision.headRefFile(GitRevision.locate(linked).orElseThrow()))
        .contains(main.resolve(".git/refs/heads/other"));
  }

  private static Path mkdirs(Path p) {
    try {
      return Files.createDirectories(p);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}

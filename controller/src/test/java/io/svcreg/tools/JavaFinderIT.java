package io.svcreg.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tools/lib/java.sh, run as a process against fake JDKs. */
class JavaFinderIT {

  @TempDir Path tmp;
  private Path jvms;
  private Path bin;

  @BeforeEach
  void setUp() throws IOException {
    jvms = Files.createDirectories(tmp.resolve("jvm"));
    // A PATH with the shell tools java.sh uses and no java, so no JDK is found by accident.
    bin = Files.createDirectories(tmp.resolve("bin"));
    for (String tool : List.of("bash", "grep", "sed", "head", "readlink", "dirname", "env")) {
      Path real =
          Stream.of("/usr/bin/" + tool, "/bin/" + tool)
              .map(Path::of)
              .filter(Files::isExecutable)
              .findFirst()
              .orElseThrow();
      Files.createSymbolicLink(bin.resolve(tool), real);
    }
  }

  @Test
  void find_javaHomeTooOld_takesNewestJdkUnderJvmDir() throws IOException {
    Path old = fakeJdk(tmp.resolve("old-jdk"), "17.0.2", false);
    fakeJdk(jvms.resolve("jdk-17"), "17.0.15", true);
    fakeJdk(jvms.resolve("jdk-21"), "21.0.2", true);
    fakeJdk(jvms.resolve("jdk-25"), "25", true);
    fakeJdk(jvms.resolve("jdk-9"), "9.0.4", true);

    Proc p = find(Map.of("JAVA_HOME", old.toString()));

    assertThat(p.exitCode()).as(p.stderr()).isZero();
    assertThat(p.stdout().strip()).isEqualTo(jvms.resolve("jdk-25").toString());
  }

  @Test
  void find_javaHome21_isKeptOverNewerJdks() throws IOException {
    Path home = fakeJdk(tmp.resolve("my-jdk"), "21.0.5", false);
    fakeJdk(jvms.resolve("jdk-25"), "25.0.1", true);

    Proc p = find(Map.of("JAVA_HOME", home.toString()));

    assertThat(p.exitCode()).as(p.stderr()).isZero();
    assertThat(p.stdout().strip()).isEqualTo(home.toString());
  }

  @Test
  void find_versionsComparedAsNumbers_jdk100BeatsJdk25() throws IOException {
    fakeJdk(jvms.resolve("a-jdk-100"), "100.0.1", false);
    fakeJdk(jvms.resolve("z-jdk-25"), "25.0.1", false);

    Proc p = find(Map.of());

    assertThat(p.stdout().strip()).isEqualTo(jvms.resolve("a-jdk-100").toString());
  }

  @Test
  void find_onlyJava8And17_exits3SayingWhatToInstall() throws IOException {
    Path old = fakeJdk(tmp.resolve("jdk8"), "1.8.0_391", false);
    fakeJdk(jvms.resolve("jdk-17"), "17.0.15", true);

    Proc p = find(Map.of("JAVA_HOME", old.toString()));

    assertThat(p.exitCode()).isEqualTo(3);
    assertThat(p.stdout()).isEmpty();
    assertThat(p.stderr())
        .contains("svcreg needs a JDK 21 or newer")
        .contains("apt-get install openjdk-21-jdk")
        .contains("set JAVA_HOME");
  }

  @Test
  void find_realJvmDir_choosesAJdkOfAtLeast21() {
    Proc p =
        Proc.run(
            tmp,
            Map.of("JAVA_HOME", tmp.resolve("nothing").toString()),
            30,
            List.of("bash", script().toString()));

    assertThat(p.exitCode()).as(p.stderr()).isZero();
    Path home = Path.of(p.stdout().strip());
    Proc version =
        Proc.run(tmp, Map.of(), 30, List.of(home.resolve("bin/java").toString(), "-version"));
    String line = version.stderr().lines().findFirst().orElseThrow();
    String major = line.replaceAll(".*version \"([0-9]+).*", "$1");
    assertThat(Integer.parseInt(major)).isGreaterThanOrEqualTo(21);
  }

  private Proc find(Map<String, String> env) {
    Map<String, String> all = new HashMap<>(env);
    all.put("PATH", bin.toString());
    all.put("SVCREG_JVM_DIR", jvms.toString());
    if (!env.containsKey("JAVA_HOME")) {
      all.put("JAVA_HOME", "");
    }
    return Proc.run(tmp, all, 30, List.of(bin.resolve("bash").toString(), script().toString()));
  }

  private static Path script() {
    return Proc.projectRoot().resolve("tools/lib/java.sh");
  }

  /**
   * A directory that looks like a JDK: {@code bin/java -version} prints {@code version}, {@code
   * bin/javac} exists, and (optionally) a {@code release} file says the version too.
   */
  private static Path fakeJdk(Path home, String version, boolean releaseFile) throws IOException {
    Path bin = Files.createDirectories(home.resolve("bin"));
    executable(
        bin.resolve("java"),
        "#!/bin/sh\necho 'openjdk version \"" + version + "\" 2025-01-01' >&2\n");
    executable(bin.resolve("javac"), "#!/bin/sh\nexit 0\n");
    if (releaseFile) {
      Files.writeString(
          home.resolve("release"), "IMPLEMENTOR=\"Test\"\nJAVA_VERSION=\"" + version + "\"\n");
    }
    return home;
  }

  private static void executable(Path file, String text) throws IOException {
    Files.writeString(file, text);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}

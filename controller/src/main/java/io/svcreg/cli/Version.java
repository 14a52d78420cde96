package io.svcreg.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;

/** {@code svcreg --version}: the project version (from the jar) and the Java runtime. */
final class Version implements CommandLine.IVersionProvider {

  private static final String POM_PROPERTIES =
      "/META-INF/maven/io.svcreg/controller/pom.properties";

  @Override
  public String[] getVersion() {
    return new String[] {
      "svcreg " + projectVersion(),
      "Java " + Runtime.version() + " (" + System.getProperty("java.vendor", "unknown vendor") + ")"
    };
  }

  /** The version the jar was built as, or {@code development} when run from classes. */
  static String projectVersion() {
    try (InputStream in = Version.class.getResourceAsStream(POM_PROPERTIES)) {
      if (in == null) {
        return "development";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "development");
    } catch (IOException e) {
      return "development";
    }
  }
}

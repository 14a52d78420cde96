package io.svcreg.schema;

import java.util.regex.Pattern;

/** The naming rules of specs; each check returns a message, or null when the text is valid. */
final class Names {

  /** Longest resource or node name (a DNS-1123 label). */
  static final int MAX_NAME = 63;

  private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._+-]*");
  private static final Pattern ENV_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private Names() {}

  /** A DNS-1123 label: {@code [a-z0-9]([-a-z0-9]*[a-z0-9])?}, at most 63 characters. */
  static String dnsLabel(String s) {
    if (s.length() > MAX_NAME) {
      return "`" + s + "` is too long (" + s.length() + " characters; at most " + MAX_NAME + ")";
    }
    return label(s) ? null : "`" + s + "` is not a valid name; " + LABEL_RULE;
  }

  /** An endpoint name: {@code [a-z0-9]([-a-z0-9]*[a-z0-9])?}. */
  static String endpointName(String s) {
    return label(s) ? null : "`" + s + "` is not a valid endpoint name; " + LABEL_RULE;
  }

  private static final String LABEL_RULE =
      "use lower-case letters, digits and '-', starting and ending with a letter or digit";

  private static boolean label(String s) {
    int n = s.length();
    if (n == 0) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      boolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (!alnum && (c != '-' || i == 0 || i == n - 1)) {
        return false;
      }
    }
    return true;
  }

  /** A version: {@code [A-Za-z0-9][A-Za-z0-9._+-]*}. */
  static String version(String s) {
    return VERSION.matcher(s).matches()
        ? null
        : "`"
            + s
            + "` is not a valid version; use letters, digits and . _ + -, "
            + "starting with a letter or digit (e.g. 1.2.3)";
  }

  /** An environment variable name: {@code [A-Za-z_][A-Za-z0-9_]*}. */
  static String envKey(String s) {
    return ENV_KEY.matcher(s).matches()
        ? null
        : "`"
            + s
            + "` is not a valid environment variable name; use letters, digits and _, "
            + "not starting with a digit";
  }

  /** A relative path inside a package: not absolute, no {@code ..}, not empty. */
  static String relativePath(String s) {
    if (s.isEmpty()) {
      return "must not be empty";
    }
    if (s.startsWith("/")) {
      return "`" + s + "` must be relative to the package directory (e.g. scripts/health.sh)";
    }
    for (String part : s.split("/", -1)) {
      if (part.equals("..")) {
        return "`" + s + "` must stay inside the package; `..` is not allowed";
      }
    }
    return null;
  }

  /** An absolute path without {@code ..}. */
  static String absolutePath(String s) {
    if (!s.startsWith("/")) {
      return "`" + s + "` must be an absolute path (e.g. /opt)";
    }
    for (String part : s.split("/", -1)) {
      if (part.equals("..")) {
        return "`" + s + "` must not contain `..`";
      }
    }
    return null;
  }
}

package io.svcreg.schema;

/** How the controller reaches a node over SSH (defaults applied by the parser). */
public record Ssh(String user, int port, String identityFile, String knownHosts) {

  /** Default SSH port. */
  public static final int DEFAULT_PORT = 22;

  /** Default identity file. */
  public static final String DEFAULT_IDENTITY_FILE = "~/.ssh/id_ed25519";

  /** Default known-hosts file. */
  public static final String DEFAULT_KNOWN_HOSTS = "~/.ssh/known_hosts";
}

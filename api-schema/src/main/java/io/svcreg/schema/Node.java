package io.svcreg.schema;

/** A host in a network: its address, how to reach it, and where packages are installed. */
public record Node(String name, Ipv4 address, Ssh ssh, String installRoot) {

  /** Default install root on a node. */
  public static final String DEFAULT_INSTALL_ROOT = "/opt";

  /** The implicit node of a {@code local} network: the controller's own host. */
  public static final String LOCAL_NODE = "local";
}

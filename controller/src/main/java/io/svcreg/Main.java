package io.svcreg;

/** Entry point of the {@code svcreg} command. */
public final class Main {

  private Main() {}

  /** Runs the CLI and exits with its status. */
  public static void main(String[] args) {
    System.exit(0);
  }
}

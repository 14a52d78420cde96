package io.svcreg.loop;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A host with a network stack of its own, for tests: a network namespace joined to this host by a
 * veth pair on a test-only subnet {@code 10.253.N.0/24} (this host {@code .1}, the namespace {@code
 * .10}). Its file system and process table are this host's. {@link #close} kills what runs in it
 * and removes it (with the veth pair).
 */
final class Netns implements AutoCloseable {

  final String name;
  final String subnet;
  final String hostAddress;
  final String address;
  final String device;
  private final String hostDevice;

  private Netns(String name, int n, String tag) {
    this.name = name;
    this.subnet = "10.253." + n + ".0/24";
    this.hostAddress = "10.253." + n + ".1";
    this.address = "10.253." + n + ".10";
    this.device = "svn" + tag;
    this.hostDevice = "svh" + tag;
  }

  /** Creates a namespace on a subnet no other namespace of this host uses. */
  static Netns create() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    for (int attempt = 0; attempt < 20; attempt++) {
      int n = r.nextInt(1, 255);
      if (Commands.run("ip", "-o", "-4", "addr", "show", "to", "10.253." + n + ".0/24").isBlank()) {
        String tag = Integer.toHexString(r.nextInt(0x100000, 0xffffff));
        Netns ns = new Netns("svcreg-test-" + tag, n, tag);
        try {
          ns.setUp();
          return ns;
        } catch (RuntimeException e) {
          ns.close();
          throw e;
        }
      }
    }
    throw new IllegalStateException("no free test subnet 10.253.N.0/24 on this host");
  }

  private void setUp() {
    Commands.run("ip", "netns", "add", name);
    Commands.run("ip", "link", "add", hostDevice, "type", "veth", "peer", "name", device);
    Commands.run("ip", "link", "set", device, "netns", name);
    Commands.run("ip", "addr", "add", hostAddress + "/24", "dev", hostDevice);
    Commands.run("ip", "link", "set", hostDevice, "up");
    exec("ip", "addr", "add", address + "/24", "dev", device);
    exec("ip", "link", "set", device, "up");
    exec("ip", "link", "set", "lo", "up");
  }

  /** Runs a command in the namespace; its output (fails on a non-zero exit). */
  String exec(String... cmd) {
    List<String> all = new ArrayList<>(List.of("ip", "netns", "exec", name));
    all.addAll(List.of(cmd));
    return Commands.run(all.toArray(String[]::new));
  }

  /** The IPv4 addresses configured on the namespace's veth, e.g. {@code 10.253.7.2/24}. */
  List<String> addresses() {
    List<String> out = new ArrayList<>();
    for (String line : exec("ip", "-o", "-4", "addr", "show", "dev", device).split("\n")) {
      String[] f = line.trim().split("\\s+");
      for (int i = 0; i + 1 < f.length; i++) {
        if (f[i].equals("inet")) {
          out.add(f[i + 1]);
        }
      }
    }
    return out;
  }

  @Override
  public void close() {
    try {
      for (String pid : Commands.runQuietly("ip", "netns", "pids", name).split("\\s+")) {
        if (!pid.isBlank()) {
          Commands.runQuietly("kill", "-KILL", pid.trim());
        }
      }
    } finally {
      Commands.runQuietly("ip", "link", "del", hostDevice);
      Commands.runQuietly("ip", "netns", "del", name);
    }
  }
}

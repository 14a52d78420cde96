package io.svcreg.core;

import static io.svcreg.core.Specs.network;
import static io.svcreg.core.Specs.service;

import io.svcreg.schema.NetworkType;
import io.svcreg.schema.Resource;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Generated desired states of any size, reproducible from a seed. */
final class Generated {

  private Generated() {}

  /** Three networks and {@code n} services with random but acyclic dependencies. */
  static List<Resource> resources(int n, long seed, boolean reversedOrder) {
    Random r = new Random(seed);
    List<Resource> out = new ArrayList<>();
    out.add(
        network("lan")
            .subnet("10.0.0.0/12")
            .node("n1", "10.0.0.10")
            .node("n2", "10.0.0.11")
            .reserved("10.0.0.1")
            .build());
    out.add(network("local").type(NetworkType.LOCAL).subnet("127.0.0.0/8").noNodes().build());
    out.add(network("wg").subnet("10.99.0.0/16").wireguard("/etc/wireguard/wg0.conf").build());
    for (int i = 0; i < n; i++) {
      out.add(service(i, r, reversedOrder).build());
    }
    return out;
  }

  private static Specs.ServiceBuilder service(int i, Random r, boolean reversed) {
    String name = "svc-" + i;
    Specs.ServiceBuilder b = Specs.service(name).version("1." + r.nextInt(5) + ".0");
    switch (r.nextInt(3)) {
      case 0 -> b.network("lan").node(r.nextBoolean() ? "n1" : "n2");
      case 1 -> b.network("local").node("local");
      default -> b.network("wg").node("n1");
    }
    if (r.nextInt(10) == 0 && i < 60_000) {
      // static addresses well above the allocated range of the lan network
      b.network("lan").node("n1").address("10.8." + (i / 250) + "." + (i % 250 + 1));
    }
    int endpoints = r.nextInt(3);
    for (int e = 0; e < endpoints; e++) {
      b.endpoint("p" + e, 8000 + r.nextInt(1000));
    }
    List<String[]> env = new ArrayList<>();
    for (int e = r.nextInt(4); e > 0; e--) {
      env.add(new String[] {"KEY_" + e, "v" + r.nextInt(100)});
    }
    if (reversed) {
      java.util.Collections.reverse(env);
    }
    env.forEach(kv -> b.env(kv[0], kv[1]));
    if (r.nextBoolean()) {
      b.health("scripts/health.sh");
    }
    List<String> deps = new ArrayList<>();
    if (i > 0) {
      for (int d = r.nextInt(3); d > 0; d--) {
        deps.add("svc-" + r.nextInt(i));
      }
    }
    if (reversed) {
      java.util.Collections.reverse(deps);
    }
    b.dependsOn(deps.toArray(String[]::new));
    if (r.nextInt(10) == 0 && deps.isEmpty()) {
      b.stopped();
    }
    if (r.nextBoolean()) {
      b.label("tier", r.nextBoolean() ? "web" : "data");
    }
    return b;
  }
}

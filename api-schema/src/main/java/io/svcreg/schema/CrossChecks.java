package io.svcreg.schema;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The checks across resources, shared by the full {@link SpecValidator} and the incremental {@link
 * LiveValidator} so that both report exactly the same problems.
 */
final class CrossChecks {

  private static final int LIST_LIMIT = 10;

  /** Orders declarations by where their name is written (file, line, column). */
  static final Comparator<Declaration> BY_PLACE =
      Comparator.<Declaration, String>comparing(d -> d.file)
          .thenComparingInt(d -> d.line)
          .thenComparingInt(d -> d.column);

  private CrossChecks() {}

  /** What the checks need to know about all declarations. */
  interface Index {
    /** The first declaration of the network with this name, or null. */
    Declaration network(String name);

    /** The first declaration of the service with this name, or null. */
    Declaration service(String name);

    /** Whether the declaration's key is declared more than once. */
    boolean isDuplicate(Declaration d);

    /** Names of all declared networks. */
    Set<String> networkNames();

    /** Names of all declared services. */
    Set<String> serviceNames();
  }

  /**
   * Whether a declaration takes part in the cross checks: valid on its own (or provisional: invalid
   * only because of its package) and not duplicated.
   */
  static boolean candidate(Index ix, Declaration d) {
    return d.checkable() && !ix.isDuplicate(d);
  }

  /**
   * The node a service runs on, or null: when its placement is wrong (a problem is added) or its
   * network is held (nothing added; the service is held silently). A static address is checked even
   * when the node is wrong, so both are reported at once.
   */
  static String placement(Index ix, Declaration d, List<Problem> out) {
    ServiceSpec spec = d.service().spec();
    Declaration nd = ix.network(spec.network());
    if (nd == null) {
      out.add(
          d.problemAt(
              Declaration.P_NETWORK,
              "spec.network",
              "no network `"
                  + spec.network()
                  + "` is declared"
                  + known(ix.networkNames(), spec.network())));
      return null;
    }
    if (!candidate(ix, nd)) {
      return null;
    }
    NetworkSpec net = nd.network().spec();
    if (net.type() == NetworkType.LOCAL && spec.execution() == ExecutionType.SYSTEMD) {
      out.add(
          d.problemAt(
              Declaration.P_EXECUTION,
              "spec.execution.type",
              "execution type `systemd` runs services as units on SSH nodes (networks of type lan"
                  + " or wireguard); on the controller's own host (network `"
                  + spec.network()
                  + "` is local) use managed_process"));
      return null;
    }
    String node = node(d, spec, net, out);
    if (spec.address().isPresent()) {
      String bad = addressProblem(spec.address().get(), spec.network(), net);
      if (bad != null) {
        out.add(d.problemAt(Declaration.P_ADDRESS, "spec.address", bad));
        return null;
      }
    }
    return node;
  }

  private static String node(Declaration d, ServiceSpec spec, NetworkSpec net, List<Problem> out) {
    String network = spec.network();
    if (net.type() == NetworkType.LOCAL) {
      if (d.nodeGiven() && !spec.node().equals(Node.LOCAL_NODE)) {
        out.add(
            d.problemAt(
                Declaration.P_NODE,
                "spec.node",
                "network `"
                    + network
                    + "` is local; its only node is `"
                    + Node.LOCAL_NODE
                    + "` (or leave `node` out)"));
        return null;
      }
      return Node.LOCAL_NODE;
    }
    List<Node> nodes = net.nodes();
    if (d.nodeGiven()) {
      for (Node n : nodes) {
        if (n.name().equals(spec.node())) {
          return n.name();
        }
      }
      out.add(
          d.problemAt(
              Declaration.P_NODE,
              "spec.node",
              "network `"
                  + network
                  + "` has no node `"
                  + spec.node()
                  + "`"
                  + (nodes.isEmpty()
                      ? "; it declares no nodes"
                      : "; its nodes: " + nodeNames(nodes))));
      return null;
    }
    if (nodes.size() == 1) {
      return nodes.get(0).name();
    }
    out.add(
        d.problemAt(
            Declaration.P_SPEC,
            "spec.node",
            nodes.isEmpty()
                ? "network `" + network + "` declares no nodes, so there is nowhere to run this"
                : "missing required field `node`: network `"
                    + network
                    + "` has "
                    + nodes.size()
                    + " nodes; set it to one of: "
                    + nodeNames(nodes)));
    return null;
  }

  private static String nodeNames(List<Node> nodes) {
    List<String> names = new ArrayList<>(nodes.size());
    for (Node n : nodes) {
      names.add(n.name());
    }
    return list(names);
  }

  private static String addressProblem(Ipv4 ip, String network, NetworkSpec net) {
    Cidr subnet = net.subnet();
    if (!subnet.contains(ip)) {
      return "address " + ip + " is outside the subnet " + subnet + " of network `" + network + "`";
    }
    if (subnet.isNetworkOrBroadcast(ip)) {
      return "address "
          + ip
          + " is the "
          + (ip.equals(subnet.network()) ? "network" : "broadcast")
          + " address of "
          + subnet;
    }
    if (net.reserved().contains(ip)) {
      return "address " + ip + " is reserved in network `" + network + "` (spec.reserved)";
    }
    for (Node n : net.nodes()) {
      if (n.address().equals(ip)) {
        return "address " + ip + " is the address of node `" + n.name() + "`";
      }
    }
    return null;
  }

  /** The problem of a service whose static address is also given to {@code users}. */
  static Problem addressConflict(Declaration d, List<Declaration> users) {
    List<String> others = new ArrayList<>();
    for (Declaration o : users) {
      if (o != d) {
        others.add("`" + o.name + "` (" + o.locationOf(Declaration.P_ADDRESS) + ")");
      }
    }
    return d.problemAt(
        Declaration.P_ADDRESS,
        "spec.address",
        "address "
            + d.service().spec().address().orElseThrow()
            + " is also given to service "
            + String.join(", ", others)
            + "; each service needs its own address");
  }

  /** Checks that dependencies exist and can run; false when a problem was added. */
  static boolean dependencies(Index ix, Declaration d, List<Problem> out) {
    ServiceSpec spec = d.service().spec();
    boolean ok = true;
    List<String> deps = spec.dependsOn();
    for (int k = 0; k < deps.size(); k++) {
      String dep = deps.get(k);
      Declaration target = ix.service(dep);
      if (target == null) {
        out.add(
            d.problemAtDependency(
                k, "no service `" + dep + "` is declared" + known(ix.serviceNames(), dep)));
        ok = false;
      } else if (candidate(ix, target)
          && spec.state() == RunState.RUNNING
          && target.service().spec().state() == RunState.STOPPED) {
        out.add(
            d.problemAtDependency(
                k,
                "`"
                    + dep
                    + "` has state: stopped, so this running service could never start;"
                    + " stop this one too, or run `"
                    + dep
                    + "`"));
        ok = false;
      }
    }
    return ok;
  }

  /** The dependencies of a candidate that are candidates themselves, in {@code dependsOn} order. */
  static List<Declaration> edges(Index ix, Declaration d) {
    List<String> deps = d.service().spec().dependsOn();
    List<Declaration> out = new ArrayList<>(deps.size());
    for (String dep : deps) {
      Declaration t = ix.service(dep);
      if (t != null && candidate(ix, t)) {
        out.add(t);
      }
    }
    return out;
  }

  /**
   * The problem reporting one dependency cycle: the shortest path from its first name (in name
   * order) back to itself, at that service's dependency on the next one.
   */
  static Problem cycle(Index ix, Collection<Declaration> members) {
    Declaration start = null;
    for (Declaration m : members) {
      if (start == null || m.name.compareTo(start.name) < 0) {
        start = m;
      }
    }
    Set<Declaration> in = new HashSet<>(members);
    Map<Declaration, Declaration> parent = new HashMap<>();
    ArrayDeque<Declaration> queue = new ArrayDeque<>();
    queue.add(start);
    Declaration last = null;
    search:
    while (!queue.isEmpty()) {
      Declaration v = queue.poll();
      for (Declaration w : edges(ix, v)) {
        if (w == start) {
          last = v;
          break search;
        }
        if (in.contains(w) && !parent.containsKey(w)) {
          parent.put(w, v);
          queue.add(w);
        }
      }
    }
    List<Declaration> path = new ArrayList<>();
    for (Declaration v = last; v != start; v = parent.get(v)) {
      path.add(0, v);
    }
    path.add(0, start);
    StringBuilder text = new StringBuilder();
    for (Declaration v : path) {
      text.append(v.name).append(" → ");
    }
    text.append(start.name);
    String next = path.size() > 1 ? path.get(1).name : start.name;
    int k = start.service().spec().dependsOn().indexOf(next);
    return start.problemAtDependency(
        k, "dependency cycle: " + text + "; remove one of these dependencies");
  }

  /** The problems of a key declared more than once: one at each definition, naming all. */
  static List<Problem> duplicates(ResourceKey key, List<Declaration> decls) {
    List<Declaration> sorted = new ArrayList<>(decls);
    sorted.sort(BY_PLACE);
    List<String> places = new ArrayList<>();
    for (Declaration d : sorted) {
      places.add(d.file + ":" + d.line);
    }
    String message =
        key
            + " is defined "
            + (sorted.size() == 2 ? "twice" : sorted.size() + " times")
            + ": "
            + String.join(" and ", places)
            + "; none of them is used until only one remains";
    List<Problem> out = new ArrayList<>();
    for (Declaration d : sorted) {
      out.add(new Problem(d.file, d.line, d.column, "metadata.name", message));
    }
    return out;
  }

  /** A hint naming the declared names (up to ten), or the closest one when there are more. */
  private static String known(Set<String> names, String wanted) {
    if (names.isEmpty()) {
      return "";
    }
    if (names.size() <= LIST_LIMIT) {
      return "; declared: " + list(names);
    }
    String best = null;
    int bestDistance = 3;
    for (String n : names) {
      if (Math.abs(n.length() - wanted.length()) < bestDistance) {
        int dist = distance(n, wanted, bestDistance);
        if (dist < bestDistance
            || (dist == bestDistance && best != null && n.compareTo(best) < 0)) {
          best = n;
          bestDistance = dist;
        }
      }
    }
    return best == null ? "" : "; did you mean `" + best + "`?";
  }

  /** Edit distance of two short strings, or {@code limit} when it is at least that. */
  private static int distance(String a, String b, int limit) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      int rowMin = cur[0];
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
        rowMin = Math.min(rowMin, cur[j]);
      }
      if (rowMin >= limit) {
        return limit;
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return Math.min(prev[b.length()], limit);
  }

  private static String list(Collection<String> names) {
    List<String> sorted = new ArrayList<>(new TreeSet<>(names));
    if (sorted.size() <= LIST_LIMIT) {
      return String.join(", ", sorted);
    }
    return String.join(", ", sorted.subList(0, LIST_LIMIT))
        + " and "
        + (sorted.size() - LIST_LIMIT)
        + " more";
  }
}

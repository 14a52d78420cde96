package io.svcreg.schema;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks spec files together: one definition per kind/name, networks and nodes that exist, static
 * addresses, dependencies and their cycles. Resources whose key is declared but invalid (held)
 * count as existing, so one broken file does not cascade into errors elsewhere; a service whose
 * network is held is held as well, silently. Linear in the number of resources.
 */
public final class SpecValidator {

  private static final int LIST_LIMIT = 10;

  private SpecValidator() {}

  /** The desired state described by these files (in the order given). */
  public static SpecSet validate(Collection<ParsedFile> files) {
    return new Run(files).run();
  }

  private static final class Run {
    private final Collection<ParsedFile> files;
    private final List<Problem> problems = new ArrayList<>();
    private final Set<ResourceKey> held = new HashSet<>();
    private final Map<String, Declaration> networks = new HashMap<>();
    private final Map<String, Declaration> services = new HashMap<>();
    private Map<ResourceKey, List<Declaration>> duplicates = Map.of();

    Run(Collection<ParsedFile> files) {
      this.files = files;
    }

    SpecSet run() {
      boolean complete = true;
      List<String> names = new ArrayList<>(files.size());
      Set<Problem> fileProblems = new HashSet<>();
      int count = 0;
      for (ParsedFile pf : files) {
        names.add(pf.file());
        complete &= pf.complete();
        for (Problem p : pf.problems()) {
          if (fileProblems.add(p)) {
            problems.add(p);
          }
        }
        for (Declaration d : pf.declarations()) {
          count++;
          Map<String, Declaration> byName = d.kind == Kind.NETWORK ? networks : services;
          Declaration first = byName.putIfAbsent(d.name, d);
          if (first != null) {
            duplicate(first, d);
          }
          if (!d.valid()) {
            held.add(d.key());
          }
        }
      }
      reportDuplicates();

      // Services that are valid on their own take part in the cross checks.
      List<Declaration> candidates = new ArrayList<>(services.size());
      for (ParsedFile pf : files) {
        for (Declaration d : pf.declarations()) {
          if (d.kind == Kind.SERVICE && d.valid() && !isDuplicate(d)) {
            candidates.add(d);
          }
        }
      }
      int n = candidates.size();
      String[] nodes = new String[n];
      boolean[] bad = new boolean[n];
      Map<Declaration, Integer> index = new HashMap<>(n * 2);
      for (int i = 0; i < n; i++) {
        index.put(candidates.get(i), i);
      }
      Map<String, Map<Ipv4, List<Integer>>> addresses = new HashMap<>();
      for (int i = 0; i < n; i++) {
        Declaration d = candidates.get(i);
        nodes[i] = placement(d, addresses, i);
        bad[i] = nodes[i] == null;
        bad[i] |= !dependencies(d);
      }
      addressConflicts(candidates, addresses, bad);
      cycles(candidates, index, bad);

      List<Resource> resources = new ArrayList<>(count);
      for (ParsedFile pf : files) {
        for (Declaration d : pf.declarations()) {
          if (!d.valid() || isDuplicate(d)) {
            continue;
          }
          if (d.kind == Kind.NETWORK) {
            resources.add(d.network());
          } else {
            int i = index.get(d);
            if (bad[i]) {
              held.add(d.key());
            } else {
              resources.add(d.resolve(nodes[i]));
            }
          }
        }
      }
      return new SpecSet(resources, held, complete, problems, names);
    }

    // ---- duplicates --------------------------------------------------------------------------

    private void duplicate(Declaration first, Declaration d) {
      if (duplicates.isEmpty()) {
        duplicates = new LinkedHashMap<>();
      }
      duplicates.computeIfAbsent(d.key(), k -> new ArrayList<>(List.of(first))).add(d);
    }

    private boolean isDuplicate(Declaration d) {
      return !duplicates.isEmpty() && duplicates.containsKey(d.key());
    }

    private void reportDuplicates() {
      for (Map.Entry<ResourceKey, List<Declaration>> e : duplicates.entrySet()) {
        held.add(e.getKey());
        List<String> places = new ArrayList<>();
        for (Declaration d : e.getValue()) {
          places.add(d.file + ":" + d.line);
        }
        for (Declaration d : e.getValue()) {
          problems.add(
              new Problem(
                  d.file,
                  d.line,
                  d.column,
                  "metadata.name",
                  e.getKey()
                      + " is defined "
                      + (e.getValue().size() == 2 ? "twice" : e.getValue().size() + " times")
                      + ": "
                      + String.join(" and ", places)
                      + "; none of them is used until only one remains"));
        }
      }
    }

    // ---- network, node and address -----------------------------------------------------------

    /** The service's node, or null when its placement is wrong (reported) or its network held. */
    private String placement(
        Declaration d, Map<String, Map<Ipv4, List<Integer>>> addresses, int i) {
      ServiceSpec spec = d.service().spec();
      Declaration nd = networks.get(spec.network());
      if (nd == null) {
        problems.add(
            d.problemAt(
                Declaration.P_NETWORK,
                "spec.network",
                "no network `" + spec.network() + "` is declared" + known(networks.keySet())));
        return null;
      }
      if (!nd.valid() || isDuplicate(nd)) {
        return null;
      }
      NetworkSpec net = nd.network().spec();
      String node = node(d, spec, net);
      if (node == null) {
        return null;
      }
      if (spec.address().isPresent()) {
        Ipv4 ip = spec.address().get();
        String bad = addressProblem(ip, spec.network(), net);
        if (bad != null) {
          problems.add(d.problemAt(Declaration.P_ADDRESS, "spec.address", bad));
          return null;
        }
        addresses
            .computeIfAbsent(spec.network(), k -> new HashMap<>())
            .computeIfAbsent(ip, k -> new ArrayList<>(1))
            .add(i);
      }
      return node;
    }

    private String node(Declaration d, ServiceSpec spec, NetworkSpec net) {
      String network = spec.network();
      if (net.type() == NetworkType.LOCAL) {
        if (d.nodeGiven() && !spec.node().equals(Node.LOCAL_NODE)) {
          problems.add(
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
      List<String> names = new ArrayList<>(net.nodes().size());
      for (Node n : net.nodes()) {
        names.add(n.name());
      }
      if (d.nodeGiven()) {
        if (!names.contains(spec.node())) {
          problems.add(
              d.problemAt(
                  Declaration.P_NODE,
                  "spec.node",
                  "network `"
                      + network
                      + "` has no node `"
                      + spec.node()
                      + "`"
                      + (names.isEmpty()
                          ? "; it declares no nodes"
                          : "; its nodes: " + list(names))));
          return null;
        }
        return spec.node();
      }
      if (names.size() == 1) {
        return names.get(0);
      }
      problems.add(
          d.problemAt(
              Declaration.P_SPEC,
              "spec.node",
              names.isEmpty()
                  ? "network `" + network + "` declares no nodes, so there is nowhere to run this"
                  : "missing required field `node`: network `"
                      + network
                      + "` has "
                      + names.size()
                      + " nodes; set it to one of: "
                      + list(names)));
      return null;
    }

    private static String addressProblem(Ipv4 ip, String network, NetworkSpec net) {
      Cidr subnet = net.subnet();
      if (!subnet.contains(ip)) {
        return "address "
            + ip
            + " is outside the subnet "
            + subnet
            + " of network `"
            + network
            + "`";
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

    private void addressConflicts(
        List<Declaration> candidates,
        Map<String, Map<Ipv4, List<Integer>>> addresses,
        boolean[] bad) {
      for (Map<Ipv4, List<Integer>> byIp : addresses.values()) {
        for (Map.Entry<Ipv4, List<Integer>> e : byIp.entrySet()) {
          List<Integer> users = e.getValue();
          if (users.size() < 2) {
            continue;
          }
          for (int i : users) {
            Declaration d = candidates.get(i);
            List<String> others = new ArrayList<>();
            for (int j : users) {
              if (j != i) {
                Declaration o = candidates.get(j);
                others.add("`" + o.name + "` (" + o.locationOf(Declaration.P_ADDRESS) + ")");
              }
            }
            problems.add(
                d.problemAt(
                    Declaration.P_ADDRESS,
                    "spec.address",
                    "address "
                        + e.getKey()
                        + " is also given to service "
                        + String.join(", ", others)
                        + "; each service needs its own address"));
            bad[i] = true;
          }
        }
      }
    }

    // ---- dependencies ------------------------------------------------------------------------

    private boolean dependencies(Declaration d) {
      ServiceSpec spec = d.service().spec();
      boolean ok = true;
      List<String> deps = spec.dependsOn();
      for (int k = 0; k < deps.size(); k++) {
        String dep = deps.get(k);
        Declaration target = services.get(dep);
        if (target == null) {
          problems.add(
              d.problemAtDependency(
                  k, "no service `" + dep + "` is declared" + known(services.keySet())));
          ok = false;
        } else if (target.valid()
            && !isDuplicate(target)
            && spec.state() == RunState.RUNNING
            && target.service().spec().state() == RunState.STOPPED) {
          problems.add(
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

    /** Reports each dependency cycle once (its path from its first name) and marks its members. */
    private void cycles(
        List<Declaration> candidates, Map<Declaration, Integer> index, boolean[] bad) {
      int n = candidates.size();
      int[][] adj = new int[n][];
      for (int i = 0; i < n; i++) {
        List<String> deps = candidates.get(i).service().spec().dependsOn();
        int[] out = new int[deps.size()];
        int m = 0;
        for (String dep : deps) {
          Declaration t = services.get(dep);
          Integer j = t == null ? null : index.get(t);
          if (j != null) {
            out[m++] = j;
          }
        }
        adj[i] = m == out.length ? out : Arrays.copyOf(out, m);
      }
      for (int[] scc : Tarjan.components(adj)) {
        if (scc.length < 2) {
          continue;
        }
        reportCycle(candidates, adj, scc);
        for (int v : scc) {
          bad[v] = true;
        }
      }
    }

    private void reportCycle(List<Declaration> candidates, int[][] adj, int[] scc) {
      Set<Integer> members = new HashSet<>();
      int start = scc[0];
      for (int v : scc) {
        members.add(v);
        if (candidates.get(v).name.compareTo(candidates.get(start).name) < 0) {
          start = v;
        }
      }
      // Shortest path from start back to start inside the component (breadth first).
      Map<Integer, Integer> parent = new HashMap<>();
      ArrayDeque<Integer> queue = new ArrayDeque<>();
      queue.add(start);
      int last = -1;
      search:
      while (!queue.isEmpty()) {
        int v = queue.poll();
        for (int w : adj[v]) {
          if (w == start) {
            last = v;
            break search;
          }
          if (members.contains(w) && !parent.containsKey(w)) {
            parent.put(w, v);
            queue.add(w);
          }
        }
      }
      List<Integer> path = new ArrayList<>();
      for (int v = last; v != start; v = parent.get(v)) {
        path.add(0, v);
      }
      path.add(0, start);
      StringBuilder text = new StringBuilder();
      for (int v : path) {
        text.append(candidates.get(v).name).append(" → ");
      }
      text.append(candidates.get(start).name);
      Declaration first = candidates.get(start);
      String next = candidates.get(path.size() > 1 ? path.get(1) : start).name;
      int k = first.service().spec().dependsOn().indexOf(next);
      problems.add(
          first.problemAtDependency(
              k, "dependency cycle: " + text + "; remove one of these dependencies"));
    }

    private static String known(Set<String> names) {
      if (names.isEmpty()) {
        return "";
      }
      return "; declared: " + list(new TreeSet<>(names));
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
}

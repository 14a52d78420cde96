package io.svcreg.schema;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks spec files together: one definition per kind/name, networks and nodes that exist, static
 * addresses, dependencies and their cycles. Resources whose key is declared but invalid (held)
 * count as existing, so one broken file does not cascade into errors elsewhere; a service whose
 * network is held is held as well, silently. A service whose only problems are its package's is
 * held but checked all the same (with its own fields, see {@link Declaration}), so every problem
 * shows in one pass. Linear in the number of resources.
 */
public final class SpecValidator {

  private SpecValidator() {}

  /** The desired state described by these files (in the order given). */
  public static SpecSet validate(Collection<ParsedFile> files) {
    return new Run(files).run();
  }

  private static final class Run implements CrossChecks.Index {
    private final Collection<ParsedFile> files;
    private final List<Problem> problems = new ArrayList<>();
    private final Set<Problem> seen = new HashSet<>();
    private final Set<ResourceKey> held = new HashSet<>();
    private final Map<String, Declaration> networks = new HashMap<>();
    private final Map<String, Declaration> services = new HashMap<>();
    private Map<ResourceKey, List<Declaration>> duplicates = Map.of();

    Run(Collection<ParsedFile> files) {
      this.files = files;
    }

    @Override
    public Declaration network(String name) {
      return networks.get(name);
    }

    @Override
    public Declaration service(String name) {
      return services.get(name);
    }

    @Override
    public boolean isDuplicate(Declaration d) {
      return !duplicates.isEmpty() && duplicates.containsKey(d.key());
    }

    @Override
    public Set<String> networkNames() {
      return networks.keySet();
    }

    @Override
    public Set<String> serviceNames() {
      return services.keySet();
    }

    private void add(Problem p) {
      if (seen.add(p)) {
        problems.add(p);
      }
    }

    SpecSet run() {
      boolean complete = true;
      List<String> names = new ArrayList<>(files.size());
      int count = 0;
      for (ParsedFile pf : files) {
        names.add(pf.file());
        complete &= pf.complete();
        pf.problems().forEach(this::add);
        for (Declaration d : pf.declarations()) {
          count++;
          Map<String, Declaration> byName = d.kind == Kind.NETWORK ? networks : services;
          Declaration first = byName.putIfAbsent(d.name, d);
          if (first != null) {
            if (duplicates.isEmpty()) {
              duplicates = new LinkedHashMap<>();
            }
            duplicates.computeIfAbsent(d.key(), k -> new ArrayList<>(List.of(first))).add(d);
          }
          if (!d.valid()) {
            held.add(d.key());
          }
        }
      }
      for (Map.Entry<ResourceKey, List<Declaration>> e : duplicates.entrySet()) {
        held.add(e.getKey());
        CrossChecks.duplicates(e.getKey(), e.getValue()).forEach(this::add);
      }

      // Services that are valid on their own (or provisional) take part in the cross checks.
      Map<Declaration, String> nodes = new HashMap<>();
      Set<Declaration> bad = new HashSet<>();
      Map<String, Map<Ipv4, List<Declaration>>> addresses = new HashMap<>();
      List<Declaration> candidates = new ArrayList<>();
      List<Problem> out = new ArrayList<>();
      for (ParsedFile pf : files) {
        for (Declaration d : pf.declarations()) {
          if (d.kind != Kind.SERVICE || !CrossChecks.candidate(this, d)) {
            continue;
          }
          candidates.add(d);
          String node = CrossChecks.placement(this, d, out);
          boolean ok = CrossChecks.dependencies(this, d, out);
          if (node == null || !ok) {
            bad.add(d);
          }
          if (node != null) {
            nodes.put(d, node);
            ServiceSpec spec = d.service().spec();
            if (spec.address().isPresent()) {
              addresses
                  .computeIfAbsent(spec.network(), k -> new HashMap<>())
                  .computeIfAbsent(spec.address().get(), k -> new ArrayList<>(1))
                  .add(d);
            }
          }
        }
      }
      out.forEach(this::add);
      for (Map<Ipv4, List<Declaration>> byIp : addresses.values()) {
        for (List<Declaration> users : byIp.values()) {
          if (users.size() > 1) {
            users.sort(CrossChecks.BY_PLACE);
            for (Declaration d : users) {
              add(CrossChecks.addressConflict(d, users));
              bad.add(d);
            }
          }
        }
      }
      for (List<Declaration> scc : LiveValidator.cycles(this, candidates)) {
        add(CrossChecks.cycle(this, scc));
        bad.addAll(scc);
      }

      List<Resource> resources = new ArrayList<>(count);
      for (ParsedFile pf : files) {
        for (Declaration d : pf.declarations()) {
          if (!CrossChecks.candidate(this, d)) {
            continue;
          }
          if (d.kind == Kind.NETWORK) {
            resources.add(d.network());
          } else if (bad.contains(d) || !d.valid()) {
            held.add(d.key());
          } else {
            resources.add(d.resolve(nodes.get(d)));
          }
        }
      }
      return new SpecSet(resources, held, complete, problems, names);
    }
  }
}

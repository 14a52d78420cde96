package io.svcreg.schema;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The desired state read from spec files: the valid resources; the keys of resources that are
 * declared but invalid or defined twice ({@code held}: they keep their last good spec); whether
 * every file could be read far enough to know what it declares ({@code complete}: when false,
 * nothing may be pruned); every problem; and the files read.
 */
public record SpecSet(
    List<Resource> resources,
    Set<ResourceKey> held,
    boolean complete,
    List<Problem> problems,
    List<String> files) {

  public SpecSet {
    resources = List.copyOf(resources);
    held = Set.copyOf(new TreeSet<>(held));
    problems = problems.stream().sorted(Problem.ORDER).toList();
    files = List.copyOf(files);
  }

  /** The valid networks. */
  public List<Network> networks() {
    return resources.stream().filter(Network.class::isInstance).map(Network.class::cast).toList();
  }

  /** The valid services. */
  public List<Service> services() {
    return resources.stream().filter(Service.class::isInstance).map(Service.class::cast).toList();
  }
}

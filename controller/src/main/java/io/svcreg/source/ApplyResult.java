package io.svcreg.source;

import com.fasterxml.jackson.annotation.JsonValue;
import io.svcreg.schema.Problem;
import io.svcreg.schema.ResourceKey;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@link SpecWriter#apply} did: per resource, whether it was created, updated, unchanged or
 * removed and in which file; the spec files and packages written; or, when refused, the problems
 * (and nothing was written).
 *
 * @param resources per resource of the applied documents (and resources of replaced files that the
 *     new content no longer declares), ordered by key
 * @param written the spec files written, in the spec directory
 * @param packages the packages (directories or archives) written into the spec directory: new ones,
 *     and ones whose content changed
 * @param problems why the apply was refused; empty when it was done
 */
public record ApplyResult(
    List<Applied> resources, List<Path> written, List<Path> packages, List<Problem> problems) {

  public ApplyResult {
    resources = List.copyOf(resources);
    written = List.copyOf(written);
    packages = List.copyOf(packages);
    problems = problems.stream().sorted(Problem.ORDER).toList();
  }

  /** A refused apply. */
  static ApplyResult refused(List<Problem> problems) {
    return new ApplyResult(List.of(), List.of(), List.of(), problems);
  }

  /** Whether the apply was done (it had no problem). */
  public boolean ok() {
    return problems.isEmpty();
  }

  /** One resource: what happened to it, and the spec file that declares (or declared) it. */
  public record Applied(ResourceKey key, Outcome outcome, Path file) {}

  /** What happened to a resource. */
  public enum Outcome {
    CREATED("created"),
    UPDATED("updated"),
    UNCHANGED("unchanged"),
    REMOVED("removed");

    private final String wireName;

    Outcome(String wireName) {
      this.wireName = wireName;
    }

    /** The name in output and on the wire. */
    @JsonValue
    public String wireName() {
      return wireName;
    }

    @Override
    public String toString() {
      return wireName;
    }
  }
}

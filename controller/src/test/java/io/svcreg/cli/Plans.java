package io.svcreg.cli;

import io.svcreg.core.Action;
import io.svcreg.core.ChangeType;
import io.svcreg.core.FieldChange;
import io.svcreg.core.Plan;
import io.svcreg.core.ResourceChange;
import io.svcreg.core.Wave;
import io.svcreg.schema.Ipv4;
import io.svcreg.schema.Problem;
import io.svcreg.schema.ResourceKey;
import java.util.List;
import java.util.Optional;

/** Hand-made plans for renderer tests. */
final class Plans {

  private Plans() {}

  /** A plan with one change of each type, two waves and one problem. */
  static Plan mixed() {
    return new Plan(
        List.of(
            new ResourceChange(
                ResourceKey.network("lab"), ChangeType.CREATE, 1, List.of(), Optional.empty()),
            new ResourceChange(
                ResourceKey.service("web"),
                ChangeType.CREATE,
                1,
                List.of(),
                Optional.of(Ipv4.of("127.0.0.2"))),
            new ResourceChange(
                ResourceKey.service("api"),
                ChangeType.UPDATE,
                3,
                List.of(
                    new FieldChange("spec.version", Optional.of("1.0.0"), Optional.of("1.1.0")),
                    new FieldChange("spec.env.MODE", Optional.empty(), Optional.of("a|b"))),
                Optional.of(Ipv4.of("127.0.0.3"))),
            new ResourceChange(
                ResourceKey.service("old"), ChangeType.DELETE, 2, List.of(), Optional.empty())),
        4,
        List.of(
            new Wave(
                1,
                List.of(
                    new Action.AllocateAddress("web", "lab", Ipv4.of("127.0.0.2")),
                    new Action.Deploy("web", "local", "1.0.0", "packages/web"),
                    new Action.Stop("old", "local"))),
            new Wave(
                2,
                List.of(
                    new Action.Start("web", "local"),
                    new Action.Restart("api", "local", "new version 1.1.0"),
                    new Action.Undeploy("old", "local", "0.9.0"),
                    new Action.ReleaseAddress("old", "lab", Ipv4.of("127.0.0.9"))))),
        List.of(new Problem("specs/bad.yaml", 7, 11, "spec.endpoints[0].port", "must be 1-65535")));
  }

  /** A full (40 hex digits) Git commit hash for plans of specs in a Git work tree. */
  static final String REVISION = "0123456789abcdef0123456789abcdef01234567";

  /** A plan that changes nothing, with three resources as they are. */
  static Plan noChanges() {
    return new Plan(List.of(), 3, List.of(), List.of());
  }
}

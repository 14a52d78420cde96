package io.svcreg.bench;

import com.sun.management.OperatingSystemMXBean;
import io.svcreg.core.ObservedState;
import io.svcreg.core.Plan;
import io.svcreg.core.Planner;
import io.svcreg.schema.SpecLoader;
import io.svcreg.schema.SpecSet;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;

/**
 * One load and plan of a spec directory in the JVM {@link PlanBench} starts for it, as {@code
 * svcreg plan} does it: nothing compiled yet. Prints the nanoseconds of the load, of the plan and
 * the process's CPU time for both, on one line.
 */
public final class ColdPlan {

  private ColdPlan() {}

  /** Loads and plans the directory {@code args[0]} once; prints {@code load plan cpu}. */
  public static void main(String[] args) {
    OperatingSystemMXBean os = ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class);
    long c0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    SpecSet set = SpecLoader.load(List.of(Path.of(args[0])));
    long t1 = System.nanoTime();
    Plan plan = Planner.plan(set, ObservedState.EMPTY);
    long t2 = System.nanoTime();
    long cpu = os.getProcessCpuTime() - c0;
    if (!set.problems().isEmpty() || !plan.problems().isEmpty()) {
      System.err.println("generated specs have problems");
      System.exit(1);
    }
    System.out.println((t1 - t0) + " " + (t2 - t1) + " " + cpu);
  }
}

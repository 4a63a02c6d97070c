package dev.finetune.vblora.training.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.model.ResourceVariable;
import dev.finetune.vblora.training.device.DeviceOptions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * A timed step with --sync-every N is N real steps: N - 1 enqueued without a fetch, then one that fetches;
 * its time is per step, and the calls without a fetch are also timed apart (the host's cost of a step).
 */
class TimedRunTest {
  @Test
  void aGroupRunsEveryStepOfItOnceAndTheLastOneFetches() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      TimedRun run = counting(g, s, "toy", 3);

      TimedRun.StepTime time = run.step();
      assertTrue(time.nanos() > 0, "time per step");
      assertTrue(time.enqueueNanos().orElseThrow() > 0, "the host's time per step queued without a fetch");
      assertEquals(4f, run.scalar(), "three steps in the group, then the fetching step of scalar()");
    }
  }

  @Test
  void aSingleFetchingStepHasNoEnqueueTime() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> one = tf.constant(1f);
      TimedRun run = new TimedRun("toy", BenchMode.TRAIN, s.runner().fetch(one));

      TimedRun.StepTime time = run.step();
      assertTrue(time.nanos() > 0, "time per step");
      assertTrue(time.enqueueNanos().isEmpty(), "a step that fetches waits for the device: nothing to tell apart");
    }
  }

  @Test
  void theBenchReportsTheQueueTimeOfGroupsOnly() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      TimedRun grouped = counting(g, s, "grouped", 3);
      TimedRun single = counting(g, s, "single", 1);
      List<Measurement> measured = Benchmark.measure(List.of(grouped, single),
          new BenchSettings(1, 1, 2, 0, DeviceOptions.cpu(), 1), message -> { });

      assertEquals(2, measured.get(0).enqueue().orElseThrow().steps(), "one queue time per timed group");
      assertTrue(measured.get(1).enqueue().isEmpty(), "a step that fetches has none");
    }
  }

  /**
   * A run of {@code group} steps that each add 1 to a counter variable of its own, the last one fetching the counter
   * after its increment (so the fetch sees how many steps ran).
   */
  private static TimedRun counting(Graph g, Session s, String name, int group) {
    Ops tf = Ops.create(g).withSubScope(name);
    ResourceVariable counter = ResourceVariable.create(tf, name + "_counter", tf.constant(0f));
    Op increment = tf.assignAddVariableOp(counter.handle(), tf.constant(1f));
    Operand<TFloat32> read = counter.read(tf.withControlDependencies(List.of(increment)), TFloat32.class);
    s.initialize();
    return new TimedRun(name, BenchMode.TRAIN, s.runner().fetch(read), s.runner().addTarget(increment), group);
  }

  @Test
  void aGroupNeedsAtLeastOneStep() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      assertThrows(IllegalArgumentException.class,
          () -> new TimedRun("toy", BenchMode.TRAIN, s.runner(), s.runner(), 0));
    }
  }
}

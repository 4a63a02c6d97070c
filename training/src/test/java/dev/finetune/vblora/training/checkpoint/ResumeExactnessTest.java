package dev.finetune.vblora.training.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.training.head.ClassificationHead;
import dev.finetune.vblora.training.head.HeadGraph;
import dev.finetune.vblora.training.metrics.BestCheckpointRule;
import dev.finetune.vblora.training.optim.AdamW;
import dev.finetune.vblora.training.optim.AdamWConfig;
import dev.finetune.vblora.training.optim.LinearWarmupDecay;
import dev.finetune.vblora.training.optim.ParameterGroup;
import dev.finetune.vblora.training.optim.TrainStep;
import dev.finetune.vblora.model.ElementType;
import dev.finetune.vblora.training.variables.HostTensor;
import dev.finetune.vblora.model.ResourceVariable;
import dev.finetune.vblora.training.variables.VariableTransfer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;

/**
 * N steps straight must equal N/2 steps, a checkpoint, a fresh graph and session, a restore, and N/2 more:
 * same losses and same weights, which needs the optimizer slots and step counter in the checkpoint.
 */
class ResumeExactnessTest {
  private static final int TOTAL_STEPS = 10;
  private static final int BATCH = 4;
  private static final int WIDTH = 8;
  private static final LinearWarmupDecay SCHEDULE = new LinearWarmupDecay(0.2);

  /** An "adapter" scale vector feeding a classification head, in two parameter groups. */
  private static final class ToyRun implements AutoCloseable {
    final Graph graph = new Graph();
    final Session session;
    final Placeholder<TFloat32> input;
    final HeadGraph head;
    final TrainStep train;
    final VariableTransfer state;

    ToyRun(long headSeed) {
      Ops tf = Ops.create(graph);
      input = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, WIDTH)));
      float[] ones = new float[WIDTH];
      java.util.Arrays.fill(ones, 1f);
      ResourceVariable scale = ResourceVariable.create(tf, "adapter/scale", tf.constant(ones));
      Operand<TFloat32> pooled = tf.math.tanh(tf.math.mul(input, scale.read(tf, TFloat32.class)));
      head = new ClassificationHead(3, headSeed).build(tf, pooled);
      train = AdamW.minimize(tf, head.loss(), List.of(
          new ParameterGroup("adapter", List.of(scale), 1e-2, 0.0),
          new ParameterGroup("head", head.variables(), 4e-3 * 50, 0.01)), AdamWConfig.defaults());
      List<ResourceVariable> all = new ArrayList<>(train.trainableVariables());
      all.addAll(train.optimizerState());
      state = VariableTransfer.build(tf, all);
      session = new Session(graph);
      session.initialize();
    }

    /** Runs 0-based step {@code step} on its own deterministic batch; returns the batch loss. */
    double step(int step) {
      return run(step, true);
    }

    /** The loss on step {@code step}'s batch without updating anything. */
    double lossOnly(int step) {
      return run(step, false);
    }

    private double run(int step, boolean update) {
      Random random = new Random(1000 + step);
      float[] x = new float[BATCH * WIDTH];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) random.nextGaussian();
      }
      int[] labels = new int[BATCH];
      for (int i = 0; i < BATCH; i++) {
        labels[i] = random.nextInt(3);
      }
      try (TFloat32 xs = TFloat32.tensorOf(Shape.of(BATCH, WIDTH), DataBuffers.of(x));
          TInt32 ys = TInt32.vectorOf(labels);
          TFloat64 multiplier = TFloat64.scalarOf(SCHEDULE.multiplier(step, TOTAL_STEPS))) {
        Session.Runner runner = session.runner().feed(input, xs).feed(head.labels(), ys)
            .feed(train.learningRateMultiplier(), multiplier).fetch(head.loss());
        if (update) {
          runner.addTarget(train.trainOp());
        }
        try (Result r = runner.run()) {
          return ((TFloat32) r.get(0)).getFloat();
        }
      }
    }

    @Override
    public void close() {
      session.close();
      graph.close();
    }
  }

  private static double[] values(HostTensor t) {
    return t.type() == ElementType.I64
        ? java.util.Arrays.stream(t.toLongs()).asDoubleStream().toArray()
        : t.toDoubles();
  }

  @Test
  void resumingFromACheckpointContinuesExactly(@TempDir Path out) throws IOException {
    double[] straightLosses = new double[TOTAL_STEPS];
    Map<String, HostTensor> straightWeights;
    try (ToyRun run = new ToyRun(7)) {
      for (int step = 0; step < TOTAL_STEPS; step++) {
        straightLosses[step] = run.step(step);
      }
      straightWeights = run.state.read(run.session);
    }

    int half = TOTAL_STEPS / 2;
    CheckpointStore store = CheckpointStore.open(out, 2, BestCheckpointRule.forClassification());
    try (ToyRun first = new ToyRun(7)) {
      for (int step = 0; step < half; step++) {
        assertEquals(straightLosses[step], first.step(step), 0.0, "same graph, same seed, same data");
      }
      store.save(first.state.read(first.session), new TrainingState(half, 0, half, 7, "", Map.of(), null));
    }

    double[] resumedLosses = new double[TOTAL_STEPS];
    Map<String, HostTensor> resumedWeights;
    // A different head seed: only the restore can make this graph continue the first run.
    try (ToyRun second = new ToyRun(99)) {
      assertNotEquals(straightLosses[half], second.lossOnly(half), "without the restore the run would differ");
      Checkpoint checkpoint = store.load(store.latest().orElseThrow());
      second.state.assign(second.session, checkpoint.tensors());
      for (int step = (int) checkpoint.state().step(); step < TOTAL_STEPS; step++) {
        resumedLosses[step] = second.step(step);
      }
      resumedWeights = second.state.read(second.session);
    }

    for (int step = half; step < TOTAL_STEPS; step++) {
      assertEquals(straightLosses[step], resumedLosses[step], 1e-6 * Math.abs(straightLosses[step]),
          "loss of step " + step);
    }
    assertEquals(straightWeights.keySet(), resumedWeights.keySet());
    for (String name : straightWeights.keySet()) {
      double[] expected = values(straightWeights.get(name));
      double[] actual = values(resumedWeights.get(name));
      for (int i = 0; i < expected.length; i++) {
        assertEquals(expected[i], actual[i], 1e-6 * Math.max(1e-3, Math.abs(expected[i])), name + "[" + i + "]");
      }
    }
    assertEquals(TOTAL_STEPS, resumedWeights.get("optimizer/step").toLongs()[0]);
    assertTrue(java.util.Arrays.stream(values(straightWeights.get("adapter/scale"))).allMatch(v -> v != 1.0),
        "every step after warmup moved the adapter");
  }
}

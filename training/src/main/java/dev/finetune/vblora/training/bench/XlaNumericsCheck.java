package dev.finetune.vblora.training.bench;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.training.TrainingGraph;
import dev.finetune.vblora.training.device.DeviceOptions;
import dev.finetune.vblora.training.device.DeviceProbe;
import dev.finetune.vblora.training.device.PlacementCheck;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;

/**
 * Trains the same adapter twice, side by side, with XLA off and on: one training graph, two sessions opened
 * from the same seeded initial values, the same cycle of synthetic batches, one step of each in turn. XLA
 * fuses and reorders float32 arithmetic, so losses drift apart a little; this measures how much.
 */
public final class XlaNumericsCheck {
  /** Distinct synthetic batches cycled through, so the run is not one batch memorised. */
  static final int BATCHES = 4;

  private XlaNumericsCheck() {}

  /**
   * @param steps training steps per session (e.g. 100)
   * @param settings batch shape, seed and device (its XLA setting is ignored: both are run)
   */
  public static XlaComparison run(SavedModelInfo model, String signature, BenchMethod method, BenchSettings settings,
      int steps, Consumer<String> progress) {
    if (method.untouched()) {
      throw new InvalidSettingException("method",
          "the XLA numerics check trains an adapter; use method vblora or lora");
    }
    if (steps < 1) {
      throw new VbLoraException("the XLA numerics check needs at least 1 step, got " + steps);
    }
    DeviceOptions device = settings.device();
    DeviceProbe.requireAvailable(device);
    progress.accept("building the " + method.label() + " training graph ...");
    List<AutoCloseable> owned = new ArrayList<>();
    try (TrainingGraph graph = TrainingGraph.builder(model, method.plan().orElseThrow()).signature(signature)
            .classification(AdaptedModelSession.CLASSES, settings.seed())
            .updateForm(settings.updateFormFor(method.plan().orElseThrow()))
            .deviceForms(device).build();
        Session without = graph.open(device.withXla(false).toConfigProto());
        Session with = graph.open(device.withXla(true).toConfigProto())) {
      List<Session.Runner> runnersWithout = new ArrayList<>();
      List<Session.Runner> runnersWith = new ArrayList<>();
      TBool training = own(owned, TBool.scalarOf(true));
      TFloat64 multiplier = own(owned, TFloat64.scalarOf(1.0));
      for (int b = 0; b < BATCHES; b++) {
        SyntheticBatch batch = SyntheticBatch.of(model.signature(signature), settings.batchSize(),
            settings.maxLength(), settings.seed() + b);
        owned.add(batch);
        TInt32 labels = own(owned, SyntheticBatch.labels(settings.batchSize(), AdaptedModelSession.CLASSES,
            settings.seed() + b));
        runnersWithout.add(trainRunner(graph, batch.feed(without.runner()), labels, training, multiplier));
        runnersWith.add(trainRunner(graph, batch.feed(with.runner()), labels, training, multiplier));
      }
      List<Double> lossesWithout = new ArrayList<>();
      List<Double> lossesWith = new ArrayList<>();
      long[] nanosWithout = new long[steps];
      long[] nanosWith = new long[steps];
      progress.accept("training " + steps + " steps with XLA off and on, alternating ...");
      for (int step = 0; step < steps; step++) {
        long start = System.nanoTime();
        lossesWithout.add(loss(runnersWithout.get(step % BATCHES)));
        nanosWithout[step] = System.nanoTime() - start;
        start = System.nanoTime();
        lossesWith.add(loss(runnersWith.get(step % BATCHES)));
        nanosWith[step] = System.nanoTime() - start;
      }
      int clusters = PlacementCheck.trace(runnersWith.get(0)).xlaClusters();
      return new XlaComparison(method.label(), lossesWithout, lossesWith, clusters, Timings.ofNanos(nanosWithout),
          Timings.ofNanos(nanosWith));
    } finally {
      for (AutoCloseable resource : owned) {
        close(resource);
      }
    }
  }

  private static Session.Runner trainRunner(TrainingGraph graph, Session.Runner runner, TInt32 labels,
      TBool training, TFloat64 multiplier) {
    return runner.feed(graph.labels(), labels)
        .feed(graph.trainingFlag(), training)
        .feed(graph.learningRateMultiplier(), multiplier)
        .addTarget(graph.trainOp())
        .fetch(graph.loss());
  }

  private static double loss(Session.Runner runner) {
    try (Result result = runner.run()) {
      return ((TFloat32) result.get(0)).getFloat();
    }
  }

  private static <T extends Tensor> T own(List<AutoCloseable> owned, T tensor) {
    owned.add(tensor);
    return tensor;
  }

  private static void close(AutoCloseable resource) {
    try {
      resource.close();
    } catch (Exception e) {
      throw new IllegalStateException("closing a tensor failed: " + e.getMessage(), e);
    }
  }
}

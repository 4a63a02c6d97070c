package dev.finetune.vblora.training.bench;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.model.StepInputs;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.training.StagedSteps;
import dev.finetune.vblora.training.StepLaunch;
import dev.finetune.vblora.training.TrainingGraph;
import dev.finetune.vblora.training.device.DeviceOptions;
import dev.finetune.vblora.training.device.DeviceProbe;
import dev.finetune.vblora.training.device.PlacementCheck;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;

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
   * @param settings batch shape, seed and device; both sessions run with XLA off and on whatever the device says,
   *     over one graph written in the forms the device's XLA setting gives (the one-position tail, the log-sum-exp
   *     softmax), so that the comparison isolates XLA's compilation of that graph
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
    BenchTask.Prepared prepared = BenchTask.Prepared.of(model, signature, true, settings, progress);
    settings = prepared.settings();
    // The XLA side runs its steps as train does with XLA on: staged as one program where the device chooses that.
    StepLaunch launch = settings.stepLaunch() != null ? settings.stepLaunch() : device.withXla(true).stepLaunch();
    progress.accept("building the " + method.label() + " training graph ...");
    List<AutoCloseable> owned = new ArrayList<>();
    try (TrainingGraph graph = build(model, signature, method, prepared, StepInputs.FED, StepLaunch.CLUSTERED);
        // A staged graph reads its batch from variables that only a staging call fills, so the one program gets a
        // graph of its own, built from the same seeds (the same initial values).
        TrainingGraph stagedGraph = launch == StepLaunch.WHOLE
            ? build(model, signature, method, prepared, StepInputs.STAGED, StepLaunch.WHOLE) : null) {
      Optional<StagedSteps> staged = Optional.ofNullable(stagedGraph).flatMap(TrainingGraph::staging)
          .filter(s -> s.stepLaunch() == StepLaunch.WHOLE); // empty too when the step cannot be one program
      TrainingGraph graphWith = staged.isPresent() ? stagedGraph : graph;
      try (Session without = graph.open(device.withXla(false).toConfigProto());
          Session with = graphWith.open(device.withXla(true).toConfigProto())) {
        return compare(method, steps, progress, settings, graph, graphWith, staged, without, with, owned);
      }
    } finally {
      for (AutoCloseable resource : owned) {
        close(resource);
      }
    }
  }

  private static XlaComparison compare(BenchMethod method, int steps, Consumer<String> progress,
      BenchSettings settings, TrainingGraph graph, TrainingGraph graphWith, Optional<StagedSteps> staged,
      Session without, Session with, List<AutoCloseable> owned) {
    SavedModelInfo model = graph.spec().model();
    String signature = graph.spec().signature();
    List<SyntheticBatch> batches = new ArrayList<>();
    List<Tensor> labels = new ArrayList<>();
    BenchTask task = new BenchTask(graph.spec().io());
    List<Session.Runner> runnersWithout = new ArrayList<>();
    List<Session.Runner> runnersWith = new ArrayList<>();
    TBool training = own(owned, TBool.scalarOf(true));
    TFloat64 multiplier = own(owned, TFloat64.scalarOf(1.0));
    for (int b = 0; b < BATCHES; b++) {
      SyntheticBatch batch = SyntheticBatch.of(model.signature(signature), graph.spec().io().inputs(),
          settings.batchSize(), settings.maxLength(), settings.seed() + b);
      owned.add(batch);
      batches.add(batch);
      labels.add(own(owned, task.labels(settings.batchSize(), settings.seed() + b)));
      runnersWithout.add(trainRunner(graph, batch.feed(without.runner()), labels.get(b), training, multiplier));
      if (staged.isEmpty()) {
        runnersWith.add(trainRunner(graph, batch.feed(with.runner()), labels.get(b), training, multiplier));
      }
    }
    List<Double> lossesWithout = new ArrayList<>();
    List<Double> lossesWith = new ArrayList<>();
    long[] nanosWithout = new long[steps];
    long[] nanosWith = new long[steps];
    progress.accept("training " + steps + " steps with XLA off and on, alternating ...");
    for (int step = 0; step < steps; step++) {
      int b = step % BATCHES;
      long start = System.nanoTime();
      lossesWithout.add(loss(runnersWithout.get(b)));
      nanosWithout[step] = System.nanoTime() - start;
      if (staged.isPresent()) {
        AdaptedModelSession.stageOneStep(graphWith, with, batches.get(b), labels.get(b), training, multiplier);
      }
      start = System.nanoTime();
      lossesWith.add(staged.isPresent() ? stagedLoss(staged.get(), with) : loss(runnersWith.get(b)));
      nanosWith[step] = System.nanoTime() - start; // a staged step's time leaves its staging call out
    }
    int clusters = PlacementCheck.trace(staged.isPresent() ? with.runner().addTarget(staged.get().stepOp())
        : runnersWith.get(0)).xlaClusters();
    return new XlaComparison(method.label(), lossesWithout, lossesWith, clusters, Timings.ofNanos(nanosWithout),
        Timings.ofNanos(nanosWith), staged.isPresent() ? StepLaunch.WHOLE : StepLaunch.CLUSTERED);
  }

  private static TrainingGraph build(SavedModelInfo model, String signature, BenchMethod method,
      BenchTask.Prepared prepared, StepInputs inputs, StepLaunch launch) {
    BenchSettings settings = prepared.settings();
    return prepared.task().applyTo(TrainingGraph.builder(model, method.plan().orElseThrow())
        .signature(signature), settings.seed())
        .updateForm(settings.updateFormFor(method.plan().orElseThrow()))
        .deviceForms(settings.device()).stepInputs(inputs).stepLaunch(launch).build();
  }

  /** One staged step on the staged batch, and its loss read back. */
  private static double stagedLoss(StagedSteps staged, Session session) {
    staged.step(session, null);
    return staged.results(session, 1).get(0).loss();
  }

  private static Session.Runner trainRunner(TrainingGraph graph, Session.Runner runner, Tensor labels,
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

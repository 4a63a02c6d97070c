package dev.finetune.vblora.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.batch.Batch;
import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.model.FedValues;
import dev.finetune.vblora.model.StepInputs;
import dev.finetune.vblora.model.StepStaging;
import dev.finetune.vblora.model.VbLoraConfig;
import dev.finetune.vblora.model.VbLoraPlan;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.training.optim.LinearWarmupDecay;
import dev.finetune.vblora.training.testing.Bert;
import dev.finetune.vblora.training.variables.HostTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.tensorflow.Session;

/**
 * Steps staged on the device (a group of batches copied at once, each step fed nothing) train exactly as fed
 * steps do: the same batches, learning rates and row weights give the same losses, gradient norms and weights,
 * on the real BERT-base, across groups of different sizes and a short batch filled up with padding rows.
 */
class StagedStepsTest {
  private static final int STEPS = 5;
  private static SavedModelInfo bert;
  private static TrainingGraph fed;
  private static TrainingGraph staged;
  private static List<Batch> batches;

  @BeforeAll
  static void buildBoth() {
    bert = Bert.read();
    fed = graph(StepInputs.FED);
    staged = graph(StepInputs.STAGED);
    // 19 examples in full batches of 4: the fifth batch has three real rows and a padding row of weight 0.
    batches = Bert.demoBatches(19, 4, 32, true).stream().map(StagedStepsTest::toLength32).toList();
    assertEquals(STEPS, batches.size());
    assertEquals(3, batches.get(4).examples(), "the last batch has three real rows");
    assertEquals(4, batches.get(4).size(), "and a padding row");
  }

  /** The batch padded to 32 tokens, as a run's one length bucket pads every batch. */
  private static Batch toLength32(Batch b) {
    return new Batch(b.task(), b.exampleIndices(), pad(b.inputIds()), pad(b.inputMask()), pad(b.segmentIds()),
        b.labels());
  }

  private static int[][] pad(int[][] rows) {
    int[][] out = new int[rows.length][32];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, out[i], 0, rows[i].length);
    }
    return out;
  }

  private static TrainingGraph graph(StepInputs inputs) {
    VbLoraConfig config = VbLoraConfig.builder().numVectors(90).rank(4).topk(2).seed(3).build();
    return TrainingGraph.builder(bert, VbLoraPlan.of(Bert.queryValue(bert), config)).classification(2, 5)
        .stepInputs(inputs).build();
  }

  @AfterAll
  static void close() {
    fed.close();
    staged.close();
  }

  @Test
  void aGraphBuiltForStagedStepsStagesEveryFedValueAndAFedGraphNone() {
    assertTrue(fed.staging().isEmpty());
    StepStaging.StagingLayout layout = staged.staging().orElseThrow().layout();
    List<String> slots = layout.slots().stream().map(StepStaging.StagedSlot::name).toList();
    for (String input : staged.adapted().inputs().keySet()) {
      assertTrue(slots.contains(StepStaging.inputSlot(input)), input + " in " + slots);
    }
    assertTrue(slots.containsAll(List.of(FedValues.TRAINING, FedValues.LABELS, FedValues.EXAMPLE_WEIGHTS,
        FedValues.LEARNING_RATE_MULTIPLIER)), slots.toString());
  }

  /** What a run of the five steps leaves: each step's loss and gradient norm, the weights, predictions. */
  private record Run(List<TrainingGraph.StepResult> results, Map<String, HostTensor> weights,
      float[][] predictions) {}

  private static double[] multipliers() {
    LinearWarmupDecay schedule = new LinearWarmupDecay(0.2);
    double[] multipliers = new double[STEPS];
    for (int i = 0; i < STEPS; i++) {
      multipliers[i] = schedule.multiplier(i, STEPS);
    }
    return multipliers;
  }

  private static Run fedRun() {
    double[] multipliers = multipliers();
    List<TrainingGraph.StepResult> results = new ArrayList<>();
    try (Session session = fed.open(null)) {
      for (int i = 0; i < STEPS; i++) {
        results.add(fed.trainStep(session, batches.get(i), multipliers[i]));
      }
      return new Run(results, fed.checkpointState(session), fed.predict(session, batches.get(0)));
    }
  }

  /** The five steps staged in a group of three and a group of two (capacity 3). */
  private static Run stagedRun(TrainingGraph graph) {
    double[] multipliers = multipliers();
    StagedSteps steps = graph.staging().orElseThrow();
    List<TrainingGraph.StepResult> results = new ArrayList<>();
    try (Session session = graph.open(null)) {
      for (int[] group : new int[][] {{0, 3}, {3, 5}}) {
        List<StepFeeds> feeds = new ArrayList<>();
        try {
          for (int i = group[0]; i < group[1]; i++) {
            feeds.add(StepFeeds.of(batches.get(i), graph.spec().io().inputs()));
          }
          double[] m = java.util.Arrays.copyOfRange(multipliers, group[0], group[1]);
          try (StagedGroup staging = StagedGroup.of(steps.layout(), feeds, m, 3)) {
            steps.stage(session, staging, null);
          }
          for (int i = group[0]; i < group[1]; i++) {
            steps.step(session, null);
          }
          results.addAll(steps.results(session, group[1] - group[0]));
        } finally {
          feeds.forEach(StepFeeds::close);
        }
      }
      return new Run(results, graph.checkpointState(session), graph.predict(session, batches.get(0)));
    }
  }

  /** Equal up to float32 rounding of the same arithmetic (XLA's fusions round in another order: 1e-5). */
  private static void assertSameTraining(Run expected, Run actual) {
    for (int i = 0; i < STEPS; i++) {
      assertEquals(expected.results().get(i).loss(), actual.results().get(i).loss(),
          1e-5 * expected.results().get(i).loss(), "loss of step " + i);
      assertEquals(expected.results().get(i).gradNorm(), actual.results().get(i).gradNorm(),
          1e-5 * expected.results().get(i).gradNorm(), "gradient norm of step " + i);
    }
    assertEquals(expected.weights().keySet(), actual.weights().keySet());
    assertEquals(STEPS, actual.weights().get("optimizer/step").toLongs()[0], "five optimizer steps");
    expected.weights().forEach((name, value) -> {
      if (value.type() != dev.finetune.vblora.model.ElementType.F32) {
        assertEquals(value, actual.weights().get(name), name);
        return;
      }
      float[] a = value.toFloats();
      float[] b = actual.weights().get(name).toFloats();
      for (int j = 0; j < a.length; j++) {
        assertEquals(a[j], b[j], 1e-5 + 1e-4 * Math.abs(a[j]), name + "[" + j + "]");
      }
    });
    for (int row = 0; row < expected.predictions().length; row++) {
      for (int k = 0; k < 2; k++) {
        assertEquals(expected.predictions()[row][k], actual.predictions()[row][k], 1e-5,
            "prediction " + row + ", " + k);
      }
    }
  }

  @Test
  void stagedStepsInGroupsOfThreeAndTwoTrainAsFedSteps() {
    Run staged5 = stagedRun(staged);
    assertEquals(StepLaunch.CLUSTERED, staged.staging().orElseThrow().stepLaunch());
    assertSameTraining(fedRun(), staged5);
  }

  @Test
  void stagedStepsRunAsOneXlaProgramTrainAsFedSteps() {
    VbLoraConfig config = VbLoraConfig.builder().numVectors(90).rank(4).topk(2).seed(3).build();
    try (TrainingGraph whole = TrainingGraph.builder(bert, VbLoraPlan.of(Bert.queryValue(bert), config))
        .classification(2, 5).stepInputs(StepInputs.STAGED).stepLaunch(StepLaunch.WHOLE).build()) {
      Run run = stagedRun(whole);
      StagedSteps steps = whole.staging().orElseThrow();
      assertEquals(StepLaunch.WHOLE, steps.stepLaunch(), () -> "XLA refused: " + steps.launchRefusal().orElse(""));
      assertTrue(steps.stepOp().endsWith("/step/launch"), steps.stepOp());
      assertSameTraining(fedRun(), run);
    }
  }

  /** XLA draws random numbers with its own generator, which ignores the seeds that make a run repeat. */
  @Test
  void aStepWithAdapterDropoutStaysAsBuiltAndSaysWhy() {
    VbLoraConfig config = VbLoraConfig.builder().numVectors(90).rank(4).topk(2).dropout(0.1).seed(3).build();
    try (TrainingGraph withDropout = TrainingGraph.builder(bert, VbLoraPlan.of(Bert.queryValue(bert), config))
        .classification(2, 5).stepInputs(StepInputs.STAGED).stepLaunch(StepLaunch.WHOLE).build()) {
      StagedSteps steps = withDropout.staging().orElseThrow();
      assertEquals(StepLaunch.CLUSTERED, steps.stepLaunch());
      String reason = steps.launchRefusal().orElseThrow();
      assertTrue(reason.contains("seeded random numbers"), reason);
      assertFalse(steps.stepOp().endsWith("/step/launch"), steps.stepOp());
    }
  }

  @Test
  void aGroupOfBatchesOfDifferentShapesIsRefusedWithAMessageThatSaysWhy() {
    List<Batch> mixed = Bert.demoBatches(7, 4, 32); // not filled up: 4 rows, then 3
    assertFalse(mixed.get(0).size() == mixed.get(1).size(), "two batch sizes");
    List<StepFeeds> feeds = new ArrayList<>();
    try {
      mixed.forEach(b -> feeds.add(StepFeeds.of(b, staged.spec().io().inputs())));
      VbLoraException e = assertThrows(VbLoraException.class,
          () -> StagedGroup.of(staged.staging().orElseThrow().layout(), feeds, new double[] {1, 1}, 2));
      assertTrue(e.getMessage().contains("one shape"), e.getMessage());
    } finally {
      feeds.forEach(StepFeeds::close);
    }
  }
}

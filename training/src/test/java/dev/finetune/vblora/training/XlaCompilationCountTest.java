package dev.finetune.vblora.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.DatasetReader;
import dev.finetune.vblora.data.batch.Batch;
import dev.finetune.vblora.data.batch.Batcher;
import dev.finetune.vblora.data.batch.EncodedDataset;
import dev.finetune.vblora.data.batch.LengthBuckets;
import dev.finetune.vblora.data.demo.DemoDataset;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.data.tokenizer.WordPieceTokenizer;
import dev.finetune.vblora.training.device.XlaCpuFlag;
import dev.finetune.vblora.training.testing.Bert;
import dev.finetune.vblora.training.testing.CliRun;
import dev.finetune.vblora.training.testing.TrainCommandLine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How many XLA compilations a real run makes, as TensorFlow reports them (the {@code _XlaCompile} ops of the
 * first call of each batch shape, see CompileTracker). Runs in the training module's {@code xla-cpu} execution,
 * whose JVM starts with TF_XLA_FLAGS=--tf_xla_cpu_global_jit so that XLA compiles on the CPU as it does on a GPU.
 *
 * <p>These are also the tests of whole runs with XLA on, whose steps are staged on the device in groups: the NaN
 * guard is checked here for them.
 *
 * <p>The data has sentences of 3 to 28 words and 10 training examples in batches of 4, so an epoch ends with a
 * short batch; its 5 validation examples are four short ones and a long one, in batches of 4 and 1.
 */
@Tag("xla-cpu")
class XlaCompilationCountTest {
  @TempDir
  static Path dir;
  private static Path train;
  private static Path valid;

  @BeforeAll
  static void data() throws Exception {
    assertTrue(XlaCpuFlag.enabled(), "this execution must start with " + XlaCpuFlag.VARIABLE + "="
        + XlaCpuFlag.FLAG + " (see the xla-cpu execution in training/pom.xml)");
    train = sentences(dir.resolve("train.tsv"), 3, 5, 8, 12, 14, 18, 20, 22, 25, 28);
    valid = sentences(dir.resolve("valid.tsv"), 4, 6, 8, 10, 27);
  }

  /** A sentence/label TSV with one sentence of each of {@code words} words; labels alternate. */
  private static Path sentences(Path file, int... words) throws Exception {
    List<String> lines = new ArrayList<>(List.of("sentence\tlabel"));
    String[] vocabulary = {"good", "film", "bad", "plot", "the", "actors", "and", "music"};
    for (int i = 0; i < words.length; i++) {
      StringBuilder sentence = new StringBuilder();
      for (int w = 0; w < words[i]; w++) {
        sentence.append(w == 0 ? "" : " ").append(vocabulary[(i + w) % vocabulary.length]);
      }
      lines.add(sentence + "\t" + (i % 2));
    }
    return Files.write(file, lines);
  }

  private static Map<String, Object> timingsOfRun(String name, String... more) throws Exception {
    Path out = dir.resolve(name);
    List<String> args = TrainCommandLine.onBert(train, valid, 32, out, "--device", "cpu", "--xla", "on");
    args.addAll(List.of(more));
    CliRun run = CliRun.of(args.toArray(String[]::new));
    assertEquals(0, run.status(), run.toString());
    assertTrue(run.err().contains("compilations"), "the summary line names the compilations:\n" + run.err());
    return Json.getObject(Json.parseObject(Files.readString(out.resolve("metrics.json"))), "timings");
  }

  /**
   * With XLA the run pads every batch to one length (its longest example's) and fills short batches up, so
   * two epochs with short last batches, two evaluations and the final predictions make two compilations:
   * the training step and the prediction, each once.
   */
  @Test
  void aRunWithSeveralLengthsAndShortBatchesCompilesTrainingOnceAndPredictionOnce() throws Exception {
    Map<String, Object> timings = timingsOfRun("fixed", "--epochs", "2");
    assertEquals(2L, timings.get("compilations"), "compilations: " + timings);
    assertTrue(((Number) Json.getObject(timings, "phases_s").get("compile")).doubleValue() > 0, timings.toString());
  }

  /**
   * Under XLA the steps are staged in groups and their losses read back once per group; a loss that turns NaN
   * inside a group still stops the run, naming its step, before anything of it is exported.
   */
  @Test
  void aStagedRunWhoseLossTurnsNanStopsNamingTheStepAndExportsNothing() throws Exception {
    Path out = dir.resolve("nan");
    // Adam's first update moves every head weight by the learning rate: 1e38 overflows the next logits.
    List<String> args = TrainCommandLine.onBert(train, valid, 32, out, "--device", "cpu", "--xla", "on",
        "--lr-head", "1e38", "--warmup-ratio", "0", "--max-steps", "3");
    CliRun run = CliRun.of(args.toArray(String[]::new));
    assertEquals(1, run.status(), run.toString());
    assertTrue(run.err().contains("at step 2"), "the message names the step:\n" + run.err());
    assertFalse(Files.exists(out.resolve("adapter")) || Files.exists(out.resolve("merged")),
        "nothing is exported from a run that stopped");
    Path checkpoints = out.resolve("checkpoints");
    try (var saved = Files.exists(checkpoints) ? Files.list(checkpoints) : java.util.stream.Stream.<Path>empty()) {
      assertEquals(List.of(), saved.toList(), "no checkpoint: the first was due at step 3, after the NaN");
    }
  }

  /**
   * The counter's control: with two length buckets (16 and 32) the validation set's batches pad to different
   * lengths, and the run compiles each shape once, no more and no less: as many compilations as the shapes its
   * batcher makes (the one training step's batch and the validation batches, worked out here from the same
   * files, seed and buckets).
   */
  @Test
  void withTwoBucketsEveryBatchShapeCompilesOnce() throws Exception {
    Map<String, Object> timings = timingsOfRun("two-buckets", "--max-steps", "1", "--length-buckets", "16");
    TrainConfig config = TrainConfig.fromJson(
        Json.parseObject(Files.readString(dir.resolve("two-buckets").resolve("config.json"))));
    LengthBuckets buckets = LengthBuckets.parse("16", 32);
    Set<String> shapes = new HashSet<>();
    Batch first = new Batcher(encoded(train), BatchShapes.training(4, buckets, config.seed(), true)).batch(0, 0);
    shapes.add("train " + first.size() + "x" + first.sequenceLength());
    for (Batch b : new Batcher(encoded(valid), BatchShapes.evaluation(4, buckets, true)).epoch(0)) {
      shapes.add("predict " + b.size() + "x" + b.sequenceLength());
    }
    assertTrue(shapes.size() > 2, "the control needs more shapes than the fixed run: " + shapes);
    assertEquals((long) shapes.size(), timings.get("compilations"), "compilations for " + shapes + ": " + timings);
  }

  private static EncodedDataset encoded(Path file) throws Exception {
    return EncodedDataset.encode(DatasetReader.read(file, DemoDataset.readOptions()),
        WordPieceTokenizer.fromSavedModel(Bert.folder()), 32);
  }
}

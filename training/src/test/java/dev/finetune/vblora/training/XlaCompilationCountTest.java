package dev.finetune.vblora.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import dev.finetune.vblora.training.testing.DemoFiles;
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
 * <p>The data has sentences of several lengths and 10 training examples in batches of 4, so an epoch ends with a
 * short batch, and the 5 validation examples end with one of 1.
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
    train = DemoFiles.train(dir.resolve("data"), 10);
    valid = DemoFiles.valid(dir.resolve("data"), 5);
  }

  private static Map<String, Object> timingsOfRun(String name, String... more) throws Exception {
    Path out = dir.resolve(name);
    List<String> args = new ArrayList<>(List.of("train", "--model", "bert-base-uncased", "--train",
        train.toString(), "--valid", valid.toString(), "--max-length", "32", "--batch-size", "4",
        "--num-vectors", "90", "--device", "cpu", "--xla", "on", "--out", out.toString()));
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
   * The counter's control: with four length buckets the same data makes more batch shapes, and the run compiles
   * each shape once, no more and no less: as many compilations as the shapes its batcher makes (its training
   * batches and its validation batches, worked out here from the same files, seed and buckets).
   */
  @Test
  void withMoreBucketsEveryBatchShapeCompilesOnce() throws Exception {
    Map<String, Object> timings = timingsOfRun("four-buckets", "--max-steps", "3", "--length-buckets", "8,16,24");
    TrainConfig config = TrainConfig.fromJson(
        Json.parseObject(Files.readString(dir.resolve("four-buckets").resolve("config.json"))));
    LengthBuckets buckets = LengthBuckets.parse("8,16,24", 32);
    Set<String> shapes = new HashSet<>();
    for (Batch b : new Batcher(encoded(train), BatchShapes.training(4, buckets, config.seed(), true)).epoch(0)) {
      shapes.add("train " + b.size() + "x" + b.sequenceLength());
    }
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

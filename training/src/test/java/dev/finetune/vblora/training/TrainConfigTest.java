package dev.finetune.vblora.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.ColumnMapping;
import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.data.tokenizer.TokenizerOptions;
import dev.finetune.vblora.model.LoraConfig;
import dev.finetune.vblora.model.UpdateForm;
import dev.finetune.vblora.model.VbLoraConfig;
import dev.finetune.vblora.training.device.Precision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainConfigTest {
  private static TrainConfig.Builder minimal() {
    return TrainConfig.builder().model("m").train(Path.of("t.tsv")).textColumn("sentence").labelColumn("label")
        .out(Path.of("out"));
  }

  @Test
  void jsonKeepsTheFlatPeftKeysThatOldConfigFilesHave() {
    assertEquals(List.of("model", "tag", "signature", "vocab", "lower_case", "train", "valid", "valid_fraction",
        "text_column", "text_pair_column", "label_column", "no_header", "task", "input", "features", "pooling",
        "output", "loss", "targets", "exclude", "layers", "method", "rank",
        "num_vectors", "vector_length", "topk", "save_only_topk_weights", "init_vector_bank_bound",
        "init_logits_std", "vblora_dropout", "lora_alpha", "lora_dropout", "epochs", "max_steps", "batch_size",
        "max_length", "length_buckets", "lr_bank", "lr_logits", "lr_lora", "lr_head", "weight_decay", "warmup_ratio",
        "max_grad_norm", "seed", "eval_every", "log_every", "device", "xla", "precision", "log_placement",
        "intra_op_threads", "inter_op_threads", "fused_attention", "update_form", "out", "resume", "overwrite"),
        List.copyOf(minimal().build().toJson().keySet()));
  }

  @Test
  void modelIoSettingsKeepTheirNamesThroughJsonAndAnOlderConfigReadsWithTheDefaults() {
    TrainConfig config = minimal().tag("serve,gpu").input("ids", "input_13").input("mask", "input_14")
        .output("pred").loss(dev.finetune.vblora.savedmodel.io.LossKind.CROSS_ENTROPY).vocab(Path.of("v.txt")).build();
    Map<String, Object> json = config.toJson();
    assertEquals(Map.of("ids", "input_13", "mask", "input_14"), json.get("input"));
    assertEquals("cross-entropy", json.get("loss"));
    assertEquals(config.identity(), TrainConfig.fromJson(json).identity());
    Map<String, Object> older = new java.util.LinkedHashMap<>(minimal().build().toJson());
    for (String key : List.of("tag", "input", "features", "pooling", "output", "loss", "vocab")) {
      older.remove(key);
    }
    assertEquals(minimal().build().identity(), TrainConfig.fromJson(older).identity(),
        "a run saved before these settings resumes with their defaults");
    assertThrows(IllegalArgumentException.class, () -> minimal().features("pooled_output").output("pred").build());
  }

  @Test
  void lengthBucketsAreAutoUnlessGivenAndABadListNamesTheSetting() {
    assertEquals("auto", minimal().build().lengthBuckets());
    assertEquals("32,64", TrainConfig.fromJson(minimal().lengthBuckets("32,64").build().toJson()).lengthBuckets());
    InvalidSettingException e = assertThrows(InvalidSettingException.class,
        () -> minimal().maxLength(64).lengthBuckets("32,128").build());
    assertEquals(true, e.getMessage().startsWith("lengthBuckets 32,128:"), e.getMessage());
    assertEquals(Optional.of("lengthBuckets"), e.setting());
  }

  @Test
  void adapterDefaultsAreTheDocumentedOnes() {
    Map<String, Object> json = minimal().build().toJson();
    assertEquals(4, json.get("rank"));
    assertEquals(256, json.get("num_vectors"));
    assertEquals(256, json.get("vector_length"));
    assertEquals(2, json.get("topk"));
    assertEquals(true, json.get("save_only_topk_weights"));
    assertEquals(0.02, json.get("init_vector_bank_bound"));
    assertEquals(0.1, json.get("init_logits_std"));
    assertEquals(0.0, json.get("vblora_dropout"));
    assertEquals(16.0, json.get("lora_alpha"));
    assertEquals(0.0, json.get("lora_dropout"));
    assertEquals(42L, json.get("seed"));
  }

  @Test
  void rankAndSeedSetBothMethods() {
    TrainConfig config = minimal().rank(8).seed(7).build();
    assertEquals(8, config.vbLora().rank());
    assertEquals(8, config.lora().rank());
    assertEquals(7, config.vbLora().seed());
    assertEquals(7, config.lora().seed());
  }

  @Test
  void jsonRoundTripKeepsEveryAdapterSetting() {
    TrainConfig config = minimal().method("lora").rank(8).numVectors(64).vectorLength(128).topk(3)
        .saveOnlyTopkWeights(false).initVectorBankBound(0.5).initLogitsStd(0.01).vbloraDropout(0.1)
        .loraAlpha(32).loraDropout(0.05).seed(9).build();
    assertEquals(config, TrainConfig.fromJson(config.toJson()));
    assertEquals(config.identity(), TrainConfig.fromJson(config.toJson()).identity());
  }

  @Test
  void fusedAttentionIsSavedReachesTheSessionsAndIsRefusedWhereCudnnCannotRunIt() {
    TrainConfig fused = minimal().device("gpu").precision(Precision.BF16).fusedAttention(true).build();
    assertEquals(fused, TrainConfig.fromJson(fused.toJson()));
    assertEquals(true, fused.deviceOptions().fusedAttention());
    assertEquals(fused.deviceOptions(), minimal().deviceOptions(fused.deviceOptions()).build().deviceOptions(),
        "the command line's options");
    InvalidSettingException e = assertThrows(InvalidSettingException.class,
        () -> minimal().fusedAttention(true).build());
    assertEquals("fusedAttention", e.settings().get(0), e.getMessage());
  }

  @Test
  void theUpdateFormIsAMergedFormOnAGpuWithoutDropoutUnlessGiven() {
    assertEquals(UpdateForm.LOW_RANK, minimal().build().resolvedUpdateForm(), "cpu");
    assertEquals(UpdateForm.MERGED_FACTORED, minimal().device("gpu").build().resolvedUpdateForm(), "gpu, fp32");
    assertEquals(UpdateForm.MERGED, minimal().device("gpu").precision(Precision.BF16).build().resolvedUpdateForm(),
        "gpu, bf16 products");
    assertEquals(UpdateForm.LOW_RANK, minimal().device("gpu").vbloraDropout(0.1).build().resolvedUpdateForm());
    assertEquals(UpdateForm.LOW_RANK, minimal().device("gpu").method("lora").loraDropout(0.05).build()
        .resolvedUpdateForm());
    assertEquals(UpdateForm.MERGED, minimal().updateForm(UpdateForm.MERGED).build().resolvedUpdateForm());
    TrainConfig given = minimal().updateForm(UpdateForm.LOW_RANK).device("gpu").build();
    assertEquals(given, TrainConfig.fromJson(given.toJson()));
    assertEquals(minimal().build().identity(), given.identity(),
        "the form changes speed, not what is computed, so a resume may pick another");
  }

  @Test
  void theTokenizerSettingsAreSavedAndAResumeMustMatchThem() {
    TrainConfig given = minimal().vocab(Path.of("my-vocab.txt")).lowerCase(false).build();
    assertEquals("my-vocab.txt", given.toJson().get("vocab"));
    assertEquals(false, given.toJson().get("lower_case"));
    assertEquals(given, TrainConfig.fromJson(given.toJson()));
    assertEquals(new TokenizerOptions(Path.of("my-vocab.txt"), false), given.tokenizerOptions());
    assertEquals(TokenizerOptions.FROM_MODEL, minimal().build().tokenizerOptions(), "by default from the model");
    Map<String, Object> fromModel = minimal().build().identity();
    assertTrue(fromModel.containsKey("vocab") && fromModel.containsKey("lower_case"), fromModel.toString());
    assertNotEquals(fromModel, given.identity(), "another vocabulary or casing computes something else");
    Map<String, Object> olderCheckpoint = new java.util.HashMap<>(minimal().build().toJson());
    olderCheckpoint.remove("vocab");
    olderCheckpoint.remove("lower_case");
    assertEquals(fromModel, TrainConfig.fromJson(olderCheckpoint).identity(),
        "a checkpoint from before these settings resumes as a run with the model's tokenizer");
  }

  @Test
  void methodsThatDisagreeOnRankOrSeedAreRejected() {
    assertThrows(IllegalArgumentException.class,
        () -> minimal().lora(LoraConfig.defaults().withRank(8)).build());
    assertThrows(IllegalArgumentException.class,
        () -> minimal().vbLora(VbLoraConfig.builder().seed(1).build()).build());
  }

  @Test
  void theBuilderNeedsOnlyModelTrainAndOutAndReadsColumnsAsTheCommandLineDoes() {
    TrainConfig config = TrainConfig.builder().model("m").train(Path.of("t.tsv")).out(Path.of("out")).build();
    assertEquals(ColumnMapping.DEFAULT_TEXT_COLUMN, config.textColumn());
    assertEquals(ColumnMapping.DEFAULT_LABEL_COLUMN, config.labelColumn());
  }

  @Test
  void aBadSettingIsNamedByItsApiNameNotByACommandLineFlag() {
    InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> minimal().lrBank(-1).build());
    assertEquals("lrBank must be a finite number > 0, got -1.0", e.getMessage());
    assertEquals(Optional.of("lrBank"), e.setting());
    InvalidSettingException both = assertThrows(InvalidSettingException.class,
        () -> minimal().resume(true).overwrite(true).build());
    assertEquals(List.of("resume", "overwrite"), both.settings());
    assertTrue(!both.getMessage().contains("--"), both.getMessage());
    // The adapter's own settings too (they used to say num_vectors, PEFT's name, where the builder says numVectors)
    InvalidSettingException adapter = assertThrows(InvalidSettingException.class,
        () -> minimal().numVectors(0).build());
    assertEquals("numVectors must be at least 1, got 0", adapter.getMessage());
    assertEquals(Optional.of("numVectors"), adapter.setting());
  }

  @Test
  void aNullDeviceIsASettingErrorNotANullPointer() {
    InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> minimal().device(null).build());
    assertEquals(Optional.of("device"), e.setting());
  }

  /** Settings parsed from names say which setting they are, as the range checks do (setting() used to be empty). */
  @Test
  void anUnknownRoleMethodOrDeviceNamesItsSetting() {
    assertEquals(Optional.of("input"), assertThrows(InvalidSettingException.class,
        () -> minimal().input("foo", "x").build()).setting());
    assertEquals(Optional.of("method"), assertThrows(InvalidSettingException.class,
        () -> minimal().method("qlora").build()).setting());
    assertEquals(Optional.of("device"), assertThrows(InvalidSettingException.class,
        () -> EvaluationConfig.builder().device("tpu")).setting());
    // null is refused in the same words (it used to be a bare NullPointerException)
    assertEquals(Optional.of("input"), assertThrows(InvalidSettingException.class,
        () -> minimal().input(null, "x").build()).setting());
    assertEquals(Optional.of("method"), assertThrows(InvalidSettingException.class,
        () -> minimal().method((String) null).build()).setting());
    assertEquals(Optional.of("device"), assertThrows(InvalidSettingException.class,
        () -> EvaluationConfig.builder().device(null)).setting());
  }

  /** Evaluation takes device, XLA and precision as training does, in any order; a bad pair is refused at build(). */
  @Test
  void evaluationTakesDeviceXlaAndPrecisionAsTrainingDoes() {
    var gpu = EvaluationConfig.builder().model(Path.of("m")).xla(false).precision(
        dev.finetune.vblora.training.device.Precision.BF16).device("gpu").build().deviceOptions();
    assertEquals(dev.finetune.vblora.training.device.Device.GPU, gpu.device());
    assertEquals(false, gpu.xla());
    assertEquals(dev.finetune.vblora.training.device.Precision.BF16, gpu.precision());
    assertEquals(true, EvaluationConfig.builder().model(Path.of("m")).device("gpu").build().deviceOptions().xla(),
        "the GPU's default");
    InvalidSettingException fp16 = assertThrows(InvalidSettingException.class, () -> EvaluationConfig.builder()
        .model(Path.of("m")).precision(dev.finetune.vblora.training.device.Precision.FP16).build());
    assertEquals(Optional.of("precision"), fp16.setting());
    assertEquals(Path.of("bert-base-uncased"), EvaluationConfig.builder().model("bert-base-uncased").build().model(),
        "a built-in name as a String, as TrainConfig and MergeConfig take it");
  }

  /** A slip in a key would leave its setting at the default without a word; vblora train --config refuses it too. */
  @Test
  void aJsonKeyThatIsNoSettingIsRefusedWithTheNearestOne() {
    Map<String, Object> json = new java.util.LinkedHashMap<>(minimal().build().toJson());
    json.put("tool_version", "0.1.0");
    assertEquals(minimal().build().identity(), TrainConfig.fromJson(json).identity(), "a run's config.json reads");
    json.put("lr_bnk", 0.1);
    InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> TrainConfig.fromJson(json));
    assertTrue(e.getMessage().contains("the key 'lr_bnk', which is no setting (did you mean 'lr_bank'?)"),
        e.getMessage());
  }

  @Test
  void aRunsConfigFileReadsBackAsTheSameSettingsAndABadFileIsNamed(@TempDir Path dir) throws Exception {
    TrainConfig config = minimal().rank(6).topk(3).lrBank(0.02).build();
    Path file = dir.resolve("config.json");
    Files.writeString(file, Json.toIndentedJson(config.toJson()));
    assertEquals(config.toJson(), TrainConfig.fromJson(file).toJson());

    InvalidSettingException missing = assertThrows(InvalidSettingException.class,
        () -> TrainConfig.fromJson(dir.resolve("nope.json")));
    assertTrue(missing.getMessage().startsWith("settings file " + dir.resolve("nope.json") + " does not exist"),
        missing.getMessage());
    Files.writeString(file, "{\"rank\": 6,");
    InvalidSettingException cut = assertThrows(InvalidSettingException.class, () -> TrainConfig.fromJson(file));
    assertTrue(cut.getMessage().startsWith("settings file " + file + " is not a JSON object of settings"),
        cut.getMessage());
  }

  /** A null or blank signature or targets used to pass build() and fail later with a bare NullPointerException. */
  @Test
  void aNullOrBlankSignatureOrTargetsIsASettingError() {
    for (String value : new String[] {null, " "}) {
      InvalidSettingException signature = assertThrows(InvalidSettingException.class,
          () -> minimal().signature(value).build());
      assertEquals(Optional.of("signature"), signature.setting());
      assertTrue(signature.getMessage().contains("e.g. serving_default"), signature.getMessage());
      InvalidSettingException targets = assertThrows(InvalidSettingException.class,
          () -> minimal().targets(value).build());
      assertEquals(Optional.of("targets"), targets.setting());
      assertTrue(targets.getMessage().contains("a preset (e.g. bert-qv, all-linear)"), targets.getMessage());
    }
  }

  /** A null where the API wants a value used to surface as a bare NullPointerException from deep inside. */
  @Test
  void aNullConfigOrExampleSaysWhichOneAndWhatToGive() {
    NullPointerException vbLora = assertThrows(NullPointerException.class, () -> minimal().vbLora(null));
    assertTrue(vbLora.getMessage().startsWith("vbLora is null; give a VbLoraConfig"), vbLora.getMessage());
    NullPointerException lora = assertThrows(NullPointerException.class, () -> minimal().lora(null));
    assertTrue(lora.getMessage().startsWith("lora is null; give a LoraConfig"), lora.getMessage());
    NullPointerException train = assertThrows(NullPointerException.class,
        () -> TrainingExamples.of((Iterable<dev.finetune.vblora.data.TextExample>) null));
    assertTrue(train.getMessage().startsWith("train examples are null"), train.getMessage());
    java.util.List<dev.finetune.vblora.data.TextExample> withHole = new java.util.ArrayList<>();
    withHole.add(dev.finetune.vblora.data.TextExample.of("a", "1"));
    withHole.add(null);
    NullPointerException hole = assertThrows(NullPointerException.class,
        () -> TrainingExamples.of(List.of(dev.finetune.vblora.data.TextExample.of("b", "0")), withHole));
    assertTrue(hole.getMessage().startsWith("valid example 2 of 2 is null"), hole.getMessage());
  }

  /** Examples in memory and a train file: one of them would be ignored without a word. */
  @Test
  void examplesInMemoryAndADataFileAreRefusedBeforeAnyWork() {
    TrainingExamples examples = TrainingExamples.of(List.of(dev.finetune.vblora.data.TextExample.of("a", "1"),
        dev.finetune.vblora.data.TextExample.of("b", "0")));
    InvalidSettingException e = assertThrows(InvalidSettingException.class,
        () -> VbLora.train(minimal().model("no-such-model").build(), examples));
    assertTrue(e.getMessage().contains("examples given in memory and the data file t.tsv exclude each other"),
        e.getMessage());
  }

  @Test
  void openingAMultiAdapterModelWhereThereIsNoneNamesTheFolder() {
    InvalidSettingException e = assertThrows(InvalidSettingException.class,
        () -> VbLora.openMulti(Path.of("no-such-folder")));
    assertEquals("model no-such-folder has no saved_model.pb; give the folder that export-multi wrote",
        e.getMessage());
  }
}

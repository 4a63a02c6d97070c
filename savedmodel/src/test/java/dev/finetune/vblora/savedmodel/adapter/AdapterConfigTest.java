package dev.finetune.vblora.savedmodel.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AdapterConfigTest {
  /** A LoRA config in PEFT 0.21's key set, as Python's json.dumps(indent=2, sort_keys=True) wrote it. */
  private static final String PEFT_LORA_CONFIG = """
      {
        "alpha_pattern": {},
        "arrow_config": null,
        "auto_mapping": null,
        "base_model_name_or_path": "bert-base-uncased",
        "bias": "none",
        "corda_config": null,
        "ensure_weight_tying": false,
        "eva_config": null,
        "exclude_modules": null,
        "fan_in_fan_out": false,
        "inference_mode": true,
        "init_lora_weights": true,
        "layer_replication": null,
        "layers_pattern": null,
        "layers_to_transform": null,
        "loftq_config": {},
        "lora_alpha": 16,
        "lora_bias": false,
        "lora_dropout": 0.1,
        "megatron_config": null,
        "megatron_core": "megatron.core",
        "modules_to_save": [
          "classifier",
          "score"
        ],
        "peft_type": "LORA",
        "peft_version": "0.21.0",
        "qalora_group_size": 16,
        "r": 8,
        "rank_pattern": {},
        "revision": null,
        "runtime_config": {
          "ephemeral_gpu_offload": false
        },
        "target_modules": [
          "query",
          "value"
        ],
        "target_parameters": null,
        "task_type": "SEQ_CLS",
        "trainable_token_indices": null,
        "use_dora": false,
        "use_qalora": false,
        "use_rslora": false
      }""";

  @TempDir
  Path temp;

  @ParameterizedTest
  @ValueSource(strings = {"qv_full", "qv_topk", "qv_topk_nv300", "all_linear_topk"})
  void peftsVbLoraConfigsRoundTripToTheSameText(String fixture) throws IOException {
    Path file = PeftFixtures.folder(fixture).resolve(AdapterConfig.FILE_NAME);
    String text = Files.readString(file);
    AdapterConfig config = AdapterConfig.read(PeftFixtures.folder(fixture));
    assertEquals(text, config.toJson());
    assertEquals(Json.parse(text), Json.parse(config.toJson()));
  }

  @Test
  void readsPeftsVbLoraFieldsTyped() throws IOException {
    PeftVbLoraConfig config = (PeftVbLoraConfig) AdapterConfig.read(PeftFixtures.folder("qv_topk_nv300"));
    assertEquals(4, config.r());
    assertEquals(300, config.numVectors());
    assertEquals(128, config.vectorLength());
    assertEquals(2, config.topk());
    assertTrue(config.saveOnlyTopkWeights());
    assertEquals(TargetModules.names(List.of("value", "query")), config.targetModules());
    assertEquals(0.02, config.initVectorBankBound());
    assertEquals(0.1, config.initLogitsStd());
    assertEquals(0.0, config.vbloraDropout());
    assertEquals("none", config.bias());
    assertNull(config.common().modulesToSave());
    assertNull(config.common().taskType());
    assertNull(config.toolMetadata());
    assertEquals("0.21.0", config.otherKeys().get("peft_version"));
    assertEquals(Map.of("base_model_class", "BertModel",
        "parent_library", "transformers.models.bert.modeling_bert"), config.otherKeys().get("auto_mapping"));
  }

  @Test
  void aFreshConfigCarriesEveryKeyPeftWrites() throws IOException {
    String fixture = Files.readString(PeftFixtures.folder("qv_topk").resolve(AdapterConfig.FILE_NAME));
    @SuppressWarnings("unchecked")
    Set<String> peftKeys = new HashSet<>(((Map<String, Object>) Json.parse(fixture)).keySet());
    peftKeys.remove("peft_version"); // PEFT's own version; we do not claim one
    assertEquals(peftKeys, PeftVbLoraConfig.builder().build().toJsonMap().keySet());
  }

  @Test
  void unknownKeysSurviveARoundTripAndToolMetadataStaysOutOfThePeftConfig() throws IOException {
    ToolMetadata metadata = ToolMetadata.of("bert-base-uncased", Map.of(), "classification", List.of("a", "b"));
    PeftVbLoraConfig config = PeftVbLoraConfig.builder().numVectors(90).targetModules(List.of("query", "value"))
        .taskType("SEQ_CLS").toolMetadata(metadata).build();
    assertEquals(PeftVbLoraConfig.builder().numVectors(90).targetModules(List.of("query", "value"))
        .taskType("SEQ_CLS").build().toJson(), config.toJson(), "the metadata goes to its own file, not here");
    Map<String, Object> withUnknown = new LinkedHashMap<>(config.toJsonMap());
    withUnknown.put("option_from_a_newer_peft", Map.of("x", List.of(1L, "y")));
    AdapterConfig read = AdapterConfig.parse(Json.toPythonJson(withUnknown), "test config");
    assertEquals(Map.of("x", List.of(1L, "y")), read.otherKeys().get("option_from_a_newer_peft"));
    assertEquals(Json.toPythonJson(withUnknown), read.toJson());
  }

  /** Adapters of earlier versions kept the metadata under "vblora_java": still read, no longer written. */
  @Test
  void theOlderLayoutsMetadataKeyIsReadAndNotWrittenBack() throws IOException {
    Map<String, String> targets = new LinkedHashMap<>();
    targets.put("bert.encoder.layer.0.attention.self.query", "bert/encoder/layer_0/attention/self/query/kernel");
    Map<String, Object> old = new LinkedHashMap<>(PeftVbLoraConfig.builder().build().toJsonMap());
    old.put("vblora_java", Map.of("source_model", "bert-base-uncased", "target_variables", targets,
        "task", "classification", "label_names", List.of("negative", "positive"),
        "future_detail", List.of(1L, 2.5)));
    AdapterConfig read = AdapterConfig.parse(Json.toPythonJson(old), "old config");
    assertEquals(new ToolMetadata("bert-base-uncased", targets, "classification", List.of("negative", "positive"),
        Map.of("future_detail", List.of(1L, 2.5)), null), read.toolMetadata());
    assertEquals(PeftVbLoraConfig.builder().build().toJson(), read.toJson());
  }

  @Test
  void readsAndWritesPeftsLoraConfig() throws IOException {
    PeftLoraConfig config = (PeftLoraConfig) AdapterConfig.parse(PEFT_LORA_CONFIG, "lora config");
    assertEquals(8, config.r());
    assertEquals(16.0, config.loraAlpha());
    assertEquals(2.0, config.scaling());
    assertEquals(0.1, config.loraDropout());
    assertEquals(TargetModules.names(List.of("query", "value")), config.targetModules());
    assertEquals(List.of("classifier", "score"), config.common().modulesToSave());
    assertEquals("SEQ_CLS", config.common().taskType());
    assertEquals("bert-base-uncased", config.common().baseModelNameOrPath());
    assertEquals(PEFT_LORA_CONFIG, config.toJson());
    assertEquals(16 / Math.sqrt(8), config.toBuilder().useRslora(true).build().scaling(), 1e-12, "rsLoRA");
  }

  @Test
  void targetModulesMayBeOneRegex() throws IOException {
    String text = PeftVbLoraConfig.builder().targetModules(TargetModules.regex(".*\\.(query|value)")).build()
        .toJson();
    PeftVbLoraConfig read = (PeftVbLoraConfig) AdapterConfig.parse(text, "regex config");
    assertEquals(".*\\.(query|value)", read.targetModules().regex());
    assertEquals(text, read.toJson());
  }

  @Test
  void unknownPeftTypeIsAClearError() {
    AdapterFormatException e = assertThrows(AdapterFormatException.class,
        () -> AdapterConfig.parse("{\"peft_type\": \"IA3\", \"r\": 4}", "some/adapter_config.json"));
    assertEquals("some/adapter_config.json: peft_type \"IA3\" is not supported; this tool reads VBLORA and LORA "
        + "adapters", e.getMessage());
  }

  @Test
  void missingConfigFileNamesTheFolder() throws IOException {
    Path folder = Files.createDirectories(temp.resolve("not-an-adapter"));
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> AdapterConfig.read(folder));
    assertTrue(e.getMessage().contains(folder.resolve("adapter_config.json").toString()), e.getMessage());
    assertTrue(e.getMessage().contains("a PEFT adapter folder"), e.getMessage());
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(delimiter = '|', value = {
      "{\"r\": 4}                                         | has no string \"peft_type\"",
      "{\"peft_type\": \"VBLORA\", \"r\": \"4\"}         | \"r\" must be an integer, got \"4\"",
      "{\"peft_type\": \"VBLORA\", \"r\": 4.5}            | \"r\" must be an integer, got 4.5",
      "{\"peft_type\": \"VBLORA\", \"topk\": 300}          | topk 300 must be between 1 and num_vectors 256",
      "{\"peft_type\": \"VBLORA\", \"bias\": \"some\"}     | bias \"some\" must be one of",
      "{\"peft_type\": \"VBLORA\", \"vblora_dropout\": 1} | vblora_dropout 1.0 must be in [0, 1)",
      "{\"peft_type\": \"VBLORA\", \"target_modules\": [1]} | \"target_modules\" must be a list of strings",
      "{\"peft_type\": \"VBLORA\", \"vblora_java\": []}     | \"vblora_java\": must be a JSON object",
      "{\"peft_type\": \"LORA\", \"lora_alpha\": \"x\"}    | \"lora_alpha\" must be a number",
      "{\"peft_type\": \"VBLORA\",}                        | not valid JSON",
      "[1]                                                 | must hold a JSON object"})
  void badFieldsAreNamed(String json, String problem) {
    AdapterFormatException e = assertThrows(AdapterFormatException.class, () -> AdapterConfig.parse(json, "cfg"));
    assertTrue(e.getMessage().startsWith("cfg"), e.getMessage());
    assertTrue(e.getMessage().contains(problem), e.getMessage());
  }
}

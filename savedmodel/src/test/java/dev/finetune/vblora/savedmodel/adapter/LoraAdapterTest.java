package dev.finetune.vblora.savedmodel.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraAdapterTest {
  @TempDir
  Path temp;

  private static final float[][] A = {{1, 2, 3}, {0, -1, 2}}; // lora_A.weight [r=2, in=3]
  private static final float[][] B = {{1, 0}, {2, 1}}; // lora_B.weight [out=2, r=2]

  @Test
  void deltaIsScaledBTimesA() {
    PeftLoraConfig config = PeftLoraConfig.builder().r(2).loraAlpha(6).build(); // scaling 3
    LoraAdapter adapter = LoraAdapter.of(config, List.of(LoraModule.of("m", A, B)));
    // B @ A = [[1, 2, 3], [2, 3, 8]]
    assertArrayEquals(new float[][] {{3, 6, 9}, {6, 9, 24}}, adapter.deltaWeights("m").pytorchWeight());
    assertArrayEquals(new float[][] {{3, 6}, {6, 9}, {9, 24}}, adapter.deltaWeights("m").tfKernel());
  }

  @Test
  void writesPeftsLoraLayoutAndReadsItBack() throws IOException {
    PeftLoraConfig config = PeftLoraConfig.builder().r(2).loraAlpha(16).targetModules(List.of("query")).build();
    StoredTensor head = StoredTensor.ofFloats(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6});
    LoraAdapter adapter = LoraAdapter.of(config, List.of(LoraModule.of("bert.encoder.layer.0.attention.self.query",
        A, B)), Map.of("base_model.model.classifier.weight", head));
    adapter.write(temp.resolve("lora"), false);

    SafetensorsHeader header = SafetensorsReader.readHeader(temp.resolve("lora").resolve(AdapterFolder.WEIGHTS_FILE));
    assertEquals(Map.of("format", "pt"), header.metadata());
    assertEquals(List.of("base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight",
        "base_model.model.bert.encoder.layer.0.attention.self.query.lora_B.weight",
        "base_model.model.classifier.weight"), header.entries().stream().map(SafetensorsHeader.Entry::name).toList());
    assertEquals(List.of(2L, 3L), header.entries().get(0).shape());
    assertEquals(List.of(2L, 2L), header.entries().get(1).shape());

    LoraAdapter read = LoraAdapter.read(temp.resolve("lora"));
    assertEquals(config, read.config().withToolMetadata(null), "PEFT's config, plus our metadata file's version");
    assertEquals(Map.of("base_model.model.classifier.weight", head), read.otherTensors());
    String path = "bert.encoder.layer.0.attention.self.query";
    assertArrayEquals(adapter.deltaWeights(path).tfKernel(), read.deltaWeights(path).tfKernel());
  }

  @Test
  void doraAndPerModuleRanksAreRefused() {
    LoraModule module = LoraModule.of("m", A, B);
    PeftLoraConfig dora = PeftLoraConfig.builder().r(2).otherKeys(Map.of("use_dora", true)).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LoraAdapter.of(dora, List.of(module)));
    assertTrue(e.getMessage().contains("DoRA"), e.getMessage());
    PeftLoraConfig ranks = PeftLoraConfig.builder().r(2).otherKeys(Map.of("rank_pattern", Map.of("query", 4L)))
        .build();
    e = assertThrows(IllegalArgumentException.class, () -> LoraAdapter.of(ranks, List.of(module)));
    assertTrue(e.getMessage().contains("rank_pattern"), e.getMessage());
  }

  /**
   * Layer replication, QA-LoRA and activated LoRA change what the adapted model computes without a tensor of their
   * own: merged as plain LoRA they would serve another model, so they are refused; their defaults (null, false, an
   * empty list) are plain LoRA.
   */
  @Test
  void settingsThatMakeTheUpdateOtherThanBATimesScalingAreRefused() {
    LoraModule module = LoraModule.of("m", A, B);
    Map<String, Object> refused = Map.of("layer_replication", List.of(List.of(0L, 4L), List.of(2L, 5L)),
        "use_qalora", true, "alora_invocation_tokens", List.of(128L, 9L));
    Map<String, String> said = Map.of("layer_replication", "layer_replication [[0,4],[2,5]]",
        "use_qalora", "QA-LoRA", "alora_invocation_tokens", "activated LoRA");
    refused.forEach((key, value) -> {
      PeftLoraConfig config = PeftLoraConfig.builder().r(2).otherKeys(Map.of(key, value)).build();
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> LoraAdapter.of(config, List.of(module)), key);
      assertTrue(e.getMessage().contains(said.get(key)), e.getMessage());
    });
    Map<String, Object> plain = new HashMap<>();
    plain.put("layer_replication", null);
    plain.put("use_qalora", false);
    plain.put("alora_invocation_tokens", List.of());
    LoraAdapter.of(PeftLoraConfig.builder().r(2).otherKeys(plain).build(), List.of(module));
  }

  @Test
  void readingALoraFolderAsVbLoraSaysWhatItHolds() throws IOException {
    LoraAdapter.of(PeftLoraConfig.builder().r(2).build(), List.of(LoraModule.of("m", A, B)))
        .write(temp.resolve("lora"), false);
    AdapterFormatException e = assertThrows(AdapterFormatException.class,
        () -> VbLoraAdapter.read(temp.resolve("lora")));
    assertTrue(e.getMessage().contains("holds a LORA adapter, not VBLORA"), e.getMessage());
  }

  @Test
  void aFactorHoldingInfinityIsRefusedNamingTheModuleAndTheElement() {
    NonFiniteValueException e = assertThrows(NonFiniteValueException.class,
        () -> new LoraModule("m", 1, 2, 2, new float[] {0, 0}, new float[] {0, Float.POSITIVE_INFINITY}));
    assertTrue(e.getMessage().contains("module m: lora_B holds Infinity at [1, 0]"), e.getMessage());
  }
}

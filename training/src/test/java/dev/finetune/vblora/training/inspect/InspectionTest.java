package dev.finetune.vblora.training.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.model.LoraConfig;
import dev.finetune.vblora.model.LoraPlan;
import dev.finetune.vblora.model.TargetSelection;
import dev.finetune.vblora.model.VbLoraConfig;
import dev.finetune.vblora.model.VbLoraPlan;
import dev.finetune.vblora.ops.testing.SharedFolder;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.SavedModelReader;
import dev.finetune.vblora.training.testing.Bert;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The inspect report on the real BERT-base SavedModel and on a Keras model whose kernels live in functions. */
class InspectionTest {
  private static final VbLoraConfig PAPER = VbLoraConfig.builder().numVectors(90).vectorLength(256).rank(4).topk(2)
      .build();
  private static SavedModelInfo bert;

  @BeforeAll
  static void read() {
    bert = SavedModelReader.read(Bert.folder());
  }

  @Test
  void inspectionAsJson() {
    Inspection inspection = Inspection.inspect(bert, "serving_default",
        TargetSelection.parse("bert-qv", null, null), ks -> VbLoraPlan.of(ks, PAPER));
    @SuppressWarnings("unchecked")
    Map<String, Object> json = (Map<String, Object>) Json.parse(inspection.toJson());
    assertEquals(List.of("signatures", "kernels", "selected", "params"), List.copyOf(json.keySet()));

    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> signatures = (Map<String, Map<String, Object>>) json.get("signatures");
    Map<String, Object> serving = signatures.get("serving_default");
    assertEquals("tensorflow/serving/predict", serving.get("method"));
    assertEquals(Map.of("name", "input_ids:0", "dtype", "DT_INT32", "shape", List.of(-1L, 128L)),
        ((Map<?, ?>) serving.get("inputs")).get("input_ids"));
    assertEquals(List.of(-1L, -1L, 768L),
        ((Map<?, ?>) ((Map<?, ?>) serving.get("outputs")).get("sequence_output")).get("shape"));

    List<?> kernelList = (List<?>) json.get("kernels");
    assertEquals(73, kernelList.size());
    assertEquals(Map.of("name", "module/bert/encoder/layer_0/attention/self/query/kernel", "op", "MatMul",
        "variable", "module/bert/encoder/layer_0/attention/self/query/kernel", "shape", List.of(768L, 768L),
        "role", "query", "layer", 0L), kernelList.get(0));
    assertEquals(24, ((List<?>) json.get("selected")).size());
    assertEquals(Map.of("trainable", 74_880L, "stored", 23_904L), json.get("params"));
  }

  @Test
  void inspectionAsText() {
    Inspection inspection = Inspection.inspect(bert, "serving_default",
        TargetSelection.parse("query", null, "0"), ks -> LoraPlan.of(ks, new LoraConfig(8, 16, 0, 0)));
    String text = inspection.toText();
    assertTrue(text.contains("Signature serving_default (tensorflow/serving/predict)"), text);
    assertTrue(text.contains("in  input_ids"), text);
    assertTrue(text.contains("Kernels on the path of serving_default: 73"), text);
    assertTrue(text.contains("  * module/bert/encoder/layer_0/attention/self/query/kernel "), text);
    assertTrue(text.contains("    module/bert/encoder/layer_1/attention/self/query/kernel "), text);
    assertTrue(text.contains("(output layer, left out of all-linear)"), text);
    assertTrue(text.contains("Selected 1 kernel for lora"), text);
    assertTrue(text.contains("Parameters: trainable 12,288, stored 12,288"), text);
    assertEquals(text, inspection.toString(), "printing an inspection prints the report, not the meta graph");
    assertTrue(bert.toString().startsWith("SavedModelInfo[path=" + bert.path() + ", tags=[serve], signatures=["),
        bert.toString());
    assertFalse(bert.toString().contains("node {"), "no meta graph in toString");
  }

  /** When no selected kernel fits the vector length, the text says so instead of counting an adapter of 0. */
  @Test
  void aSelectionOfWhichNothingFitsSaysSoInsteadOfCountingZero() {
    SavedModelInfo keras = SavedModelReader.read(SharedFolder.resolve("fixtures/tf2/keras_mha1_encoder"));
    Inspection inspection = Inspection.inspect(keras, "serving_default", TargetSelection.parse("bert-qv", null, null),
        ks -> VbLoraPlan.of(ks, PAPER));
    String text = inspection.toText();
    assertTrue(inspection.plan().isEmpty());
    assertTrue(text.contains("Selected 2 kernels; 2 of them (marked !) do not fit"), text);
    assertTrue(text.contains("vector lengths that fit all of them: 2"), text);
    assertTrue(text.contains("Parameters: none, since no selected kernel fits"), text);
    assertFalse(text.contains("trainable 0"), text);
  }

  @Test
  void inspectsKerasKernelsInsideFunctions() {
    SavedModelInfo keras = SavedModelReader.read(SharedFolder.resolve("fixtures/tf2/keras_mha1_encoder"));
    Inspection inspection = Inspection.inspect(keras, "serving_default", TargetSelection.parse("bert-qv", null, null),
        ks -> LoraPlan.of(ks, new LoraConfig(2, 4, 0, 0)));
    Map<?, ?> json = (Map<?, ?>) Json.parse(inspection.toJson());
    Map<?, ?> query = ((List<?>) json.get("kernels")).stream().map(k -> (Map<?, ?>) k)
        .filter(k -> k.get("name").equals("transformer_encoder_27/multi_head_attention_27/query/kernel"))
        .findFirst().orElseThrow();
    assertEquals("Einsum", query.get("op"));
    assertEquals("abc,cde->abde", query.get("equation"));
    assertEquals("__inference__wrapped_model_544739", query.get("function"));
    assertEquals(List.of(6L, 2L, 32L), query.get("shape"));
    assertEquals(2, ((List<?>) json.get("selected")).size());
    // LoRA r=2 on q and v (6 -> 64 each): 2 * 2 * (6 + 64).
    assertEquals(Map.of("trainable", 280L, "stored", 280L), json.get("params"));
  }
}

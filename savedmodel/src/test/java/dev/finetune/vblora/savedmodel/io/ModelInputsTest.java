package dev.finetune.vblora.savedmodel.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.savedmodel.SignatureInfo;
import dev.finetune.vblora.savedmodel.TensorSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DataType;

/** The token inputs of a signature found by role: the naming conventions, explicit mappings, and the errors. */
class ModelInputsTest {
  private static TensorSpec int32(String name, long length) {
    return new TensorSpec(name + ":0", DataType.DT_INT32, List.of(-1L, length), true);
  }

  private static TensorSpec int64(String name) {
    return new TensorSpec(name + ":0", DataType.DT_INT64, List.of(-1L, -1L), true);
  }

  private static SignatureInfo signature(Map<String, TensorSpec> inputs) {
    return new SignatureInfo("serving_default", "tensorflow/serving/predict", inputs, Map.of());
  }

  private static Map<String, String> detected(Map<String, TensorSpec> inputs) {
    return ModelInputs.resolve(signature(inputs), Map.of()).mapping();
  }

  @Test
  void easyBertAndTfHubTf1NamesNeedNoMapping() {
    assertEquals(Map.of("ids", "input_ids", "mask", "input_mask", "types", "segment_ids"), detected(Map.of(
        "input_ids", int32("input_ids", 128), "input_mask", int32("input_mask", 128),
        "segment_ids", int32("segment_ids", 128))));
  }

  @Test
  void tfHubTf2AndModelGardenNamesNeedNoMapping() {
    assertEquals(Map.of("ids", "input_word_ids", "mask", "input_mask", "types", "input_type_ids"), detected(Map.of(
        "input_word_ids", int32("a", 128), "input_mask", int32("b", 128), "input_type_ids", int32("c", 128))));
  }

  @Test
  void huggingFaceNamesNeedNoMappingAndMayBeInt64() {
    ModelInputs inputs = ModelInputs.resolve(signature(Map.of("input_ids", int64("a"), "attention_mask",
        int64("b"), "token_type_ids", int64("c"))), Map.of());
    assertEquals(Map.of("ids", "input_ids", "mask", "attention_mask", "types", "token_type_ids"), inputs.mapping());
    assertEquals(DataType.DT_INT64, inputs.roles().get(InputRole.IDS).dtype());
    assertEquals(Integer.MAX_VALUE, inputs.fixedLength(), "a free length is no limit");
  }

  @Test
  void aMaskOrTypesInputTheModelLacksIsNotRequired() {
    assertEquals(Map.of("ids", "input_ids", "mask", "attention_mask"),
        detected(Map.of("input_ids", int64("a"), "attention_mask", int64("b"))));
    assertEquals(Map.of("ids", "input_word_ids"), detected(Map.of("input_word_ids", int32("a", 64))));
  }

  @Test
  void aSingleGenericIntegerInputIsTheIds() {
    assertEquals(Map.of("ids", "input_1"), detected(Map.of("input_1", int32("input_1", 55))));
  }

  @Test
  void aFixedLengthInTheSignatureIsTheModelsLength() {
    assertEquals(55, ModelInputs.resolve(signature(Map.of("input_1", int32("input_1", 55))), Map.of()).fixedLength());
  }

  @Test
  void genericKerasNamesAreMappedExplicitly() {
    Map<String, TensorSpec> keras = Map.of("input_13", int32("input_13", 55), "input_14", int32("input_14", 55));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> detected(keras));
    assertTrue(e.getMessage().contains("input_13  int32 [-1, 55]"), "each input with dtype and shape: "
        + e.getMessage());
    assertTrue(e.getMessage().contains("input_14  int32 [-1, 55]"), e.getMessage());
    assertTrue(e.getMessage().contains("input setting, e.g. ids=NAME"), "the setting that maps it: "
        + e.getMessage());
    assertEquals(Map.of("ids", "input_13", "mask", "input_14"), ModelInputs.resolve(signature(keras),
        Map.of(InputRole.IDS, "input_13", InputRole.MASK, "input_14")).mapping());
  }

  @Test
  void genericKerasNamesAreToldApartByWhereTheyFlow() {
    Map<String, TensorSpec> keras = Map.of("input_13", int32("input_13", 55), "input_14", int32("input_14", 55),
        "input_15", int32("input_15", 55));
    Map<String, dev.finetune.vblora.model.InputFlow.Kind> flow = Map.of(
        "input_13", dev.finetune.vblora.model.InputFlow.Kind.MASK,
        "input_14", dev.finetune.vblora.model.InputFlow.Kind.IDS,
        "input_15", dev.finetune.vblora.model.InputFlow.Kind.TYPES);
    assertEquals(Map.of("ids", "input_14", "mask", "input_13", "types", "input_15"),
        ModelInputs.resolve(signature(keras), Map.of(), () -> flow).mapping());
    assertEquals(Map.of("ids", "input_15", "mask", "input_13", "types", "input_14"),
        ModelInputs.resolve(signature(keras), Map.of(InputRole.IDS, "input_15", InputRole.TYPES, "input_14"),
            () -> flow).mapping(), "an explicit mapping wins over the flow");
  }

  @Test
  void anExplicitMappingOverridesTheConvention() {
    Map<String, TensorSpec> swapped = Map.of("input_ids", int32("a", 128), "input_mask", int32("b", 128),
        "segment_ids", int32("c", 128));
    assertEquals(Map.of("ids", "input_ids", "mask", "segment_ids", "types", "input_mask"), ModelInputs.resolve(
        signature(swapped), Map.of(InputRole.MASK, "segment_ids", InputRole.TYPES, "input_mask")).mapping());
  }

  @Test
  void aMappingToNoInputNamesTheInputs() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelInputs.resolve(
        signature(Map.of("input_ids", int32("a", 8))), Map.of(InputRole.IDS, "tokens")));
    assertTrue(e.getMessage().contains("ids=tokens") && e.getMessage().contains("input_ids  int32"), e.getMessage());
  }

  @Test
  void anInputWithoutARoleIsAnError() {
    Map<String, TensorSpec> extra = new LinkedHashMap<>(Map.of("input_ids", int32("a", 8), "input_mask",
        int32("b", 8)));
    extra.put("position_ids", int32("c", 8));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> detected(extra));
    assertTrue(e.getMessage().contains("[position_ids] have no role"), e.getMessage());
  }

  @Test
  void floatInputsMakeAFeatureModelFedByKey() {
    ModelInputs inputs = ModelInputs.resolve(signature(Map.of("input_1",
        new TensorSpec("serving_default_input_1:0", DataType.DT_FLOAT, List.of(-1L, 30L, 37L), true))), Map.of());
    assertFalse(inputs.text());
    assertEquals(List.of(30L, 37L), java.util.Arrays.stream(inputs.featureShapes().get("input_1")).boxed().toList());
  }

  @Test
  void theLossFollowsTheOpThatComputesTheOutput() {
    assertEquals(LossKind.CROSS_ENTROPY, LossKind.detect("Softmax", 3));
    assertEquals(LossKind.CROSS_ENTROPY, LossKind.detect("BiasAdd", 2), "logits of two classes");
    assertEquals(LossKind.BINARY_CROSS_ENTROPY, LossKind.detect("Sigmoid", 1));
    assertEquals(LossKind.MSE, LossKind.detect("BiasAdd", 1), "a linear value");
  }
}

package dev.finetune.vblora.savedmodel.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModulePathMappingTest {
  @ParameterizedTest(name = "{0} <-> {1}")
  @CsvSource({
      "bert/encoder/layer_0/attention/self/query/kernel, bert.encoder.layer.0.attention.self.query",
      "bert/encoder/layer_11/attention/self/key/kernel, bert.encoder.layer.11.attention.self.key",
      "bert/encoder/layer_3/attention/self/value/kernel, bert.encoder.layer.3.attention.self.value",
      "bert/encoder/layer_5/attention/output/dense/kernel, bert.encoder.layer.5.attention.output.dense",
      "bert/encoder/layer_7/intermediate/dense/kernel, bert.encoder.layer.7.intermediate.dense",
      "bert/encoder/layer_2/output/dense/kernel, bert.encoder.layer.2.output.dense",
      "bert/pooler/dense/kernel, bert.pooler.dense"})
  void mapsBertKernelsBothWays(String tfName, String modulePath) {
    assertEquals(modulePath, ModulePathMapping.toModulePath(tfName));
    assertEquals(tfName, ModulePathMapping.toTfVariableName(modulePath));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      "encoder.layer.0.attention.self.query, bert/encoder/layer_0/attention/self/query/kernel",
      "encoder.layer.1.output.dense, bert/encoder/layer_1/output/dense/kernel",
      "pooler.dense, bert/pooler/dense/kernel"})
  void acceptsBareBertModelPaths(String modulePath, String tfName) {
    assertEquals(tfName, ModulePathMapping.toTfVariableName(modulePath));
  }

  @ParameterizedTest(name = "{0} stays itself")
  @CsvSource({
      "bert/embeddings/word_embeddings", "bert/encoder/layer_0/attention/self/query/bias",
      "module/bert/encoder/layer_0/attention/self/query/kernel", "cls/predictions/transform/dense/kernel",
      "classifier.dense", "encoder.layer.0.attention.self.qkv"})
  void unknownNamesMapToThemselves(String name) {
    assertEquals(name, ModulePathMapping.toModulePath(name));
    assertEquals(name, ModulePathMapping.toTfVariableName(name));
  }
}

package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KernelDiscoveryTest {
  private static List<Kernel> kernels;
  private static Map<String, Kernel> byName;

  @BeforeAll
  static void discover() {
    TinyEncoder.Built tiny = TinyEncoder.build();
    kernels = KernelDiscovery.discover(tiny.graph(), tiny.signature());
    byName = kernels.stream().collect(Collectors.toMap(Kernel::name, Function.identity()));
  }

  @Test
  void findsExactlyTheDenseKernelsOnTheServingPathInGraphOrder() {
    // Not the one-hot embedding lookup, not the attention scores, not the unused copy.
    assertEquals(TinyEncoder.servingKernels(), kernels.stream().map(Kernel::name).collect(Collectors.toList()));
  }

  @Test
  void eachKernelIsUsedOnceOnTheServingPathNotInTheUnusedCopy() {
    for (Kernel kernel : kernels) {
      assertEquals(1, kernel.uses().size(), kernel.name());
      assertTrue(kernel.node().startsWith("serve/"), kernel.node());
      assertEquals("MatMul", kernel.op());
    }
  }

  @ParameterizedTest
  @CsvSource({
      "model/encoder/layer_0/attention/self/query/kernel, 8, 8, 0, 'matmul [in,out]'",
      "model/encoder/layer_0/intermediate/dense/kernel, 8, 16, 0, 'matmul [in,out]'",
      "model/encoder/layer_0/output/dense/kernel, 16, 8, 0, 'matmul [in,out]'",
      "model/encoder/layer_1/output/dense/kernel, 16, 8, 1, 'matmul [out,in] (transpose_b)'",
      "model/pooler/dense/kernel, 8, 8, -1, 'matmul [in,out]'",
  })
  void reportsSizesLayerAndLayout(String name, long in, long out, int layer, String layout) {
    Kernel kernel = byName.get(name);
    assertEquals(in, kernel.inFeatures());
    assertEquals(out, kernel.outFeatures());
    assertEquals(layer < 0 ? OptionalInt.empty() : OptionalInt.of(layer), kernel.layer());
    assertEquals(layout, kernel.layout());
    assertEquals(name, kernel.variable());
  }

  @Test
  void theTransposedKernelKeepsItsStoredShape() {
    assertEquals(List.of(8L, 16L), byName.get("model/encoder/layer_1/output/dense/kernel").shape());
  }

  @Test
  void onlyThePoolerIsTheHead() {
    List<String> heads = kernels.stream().filter(Kernel::head).map(Kernel::name).collect(Collectors.toList());
    assertEquals(List.of("model/pooler/dense/kernel"), heads);
  }

  @Test
  void modulePathDropsTheKernelLeaf() {
    assertEquals("model/pooler/dense", byName.get("model/pooler/dense/kernel").modulePath());
  }

  @ParameterizedTest
  @CsvSource({
      "module/bert/encoder/layer_11/attention/self/query/kernel, 11",
      "transformer/layers.3/mlp/w, 3",
      "gpt/h_2/attn/kernel, 2",
      "blocks_7/dense/kernel, 7",
      "transformer_block_1/multi_head_attention_1/query/kernel, -1",
      "dense_3/kernel, -1",
      "tf_bert_model/bert/encoder/layer_._7/attention/self/query/kernel, 7",
      "transformer/layer_10/self_attention/query/kernel, 10",
      "encoder/_transformer_layers/4/_attention_layer/_query_dense/kernel, 4",
      "albert/encoder/layer_shared/attention/self/query/kernel, -1",
      "tf_albert_model/albert/encoder/albert_layer_groups_._0/albert_layers_._0/attention/query/kernel, -1",
  })
  void parsesLayerIndices(String name, int layer) {
    assertEquals(layer < 0 ? OptionalInt.empty() : OptionalInt.of(layer), KernelDiscovery.layerOf(name));
  }

  @Test
  void aGraphWithoutVariablesHasNoKernels() {
    TinyEncoder.Built tiny = TinyEncoder.build();
    var onlyPlaceholders = tiny.graph().toBuilder().clearNode()
        .addAllNode(tiny.graph().getNodeList().stream().filter(n -> n.getOp().equals("Placeholder"))
            .collect(Collectors.toList()))
        .build();
    var signature = tiny.signature().toBuilder().clearOutputs()
        .putOutputs("x", tiny.signature().getInputsOrThrow("x")).build();
    assertFalse(KernelDiscovery.discover(onlyPlaceholders, signature).iterator().hasNext());
  }
}

package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.testing.SharedFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;

/**
 * Discovery inside the function graphs of real TF2 Keras exports. Expected rows are the tables of each
 * fixture's SOURCE.md (written from TF-Java's own loading of the models, independently of this code).
 */
class KerasKernelDiscoveryTest {
  private static MetaGraphDef load(String fixture) throws IOException {
    Path pb = SharedFolder.resolve("fixtures/tf2/" + fixture + "/saved_model.pb");
    return SavedModel.parseFrom(Files.readAllBytes(pb)).getMetaGraphs(0);
  }

  /** variable -> "shape op[equation] function node-suffix", one line per kernel. */
  private static Map<String, String> rows(List<Kernel> kernels) {
    Map<String, String> rows = new TreeMap<>();
    for (Kernel k : kernels) {
      KernelUse use = k.uses().get(0);
      rows.put(k.name(), k.shape() + " " + use.op() + (use.equation().isEmpty() ? "" : "[" + use.equation() + "]")
          + " " + use.function() + " " + use.node());
    }
    return rows;
  }

  @Test
  void denseMlp() throws IOException {
    List<Kernel> kernels = KernelDiscovery.discover(load("keras_dense_mlp"), "serving_default");
    String f = "__inference__wrapped_model_156706";
    assertEquals(Map.of(
        "dense/kernel", "[72, 256] MatMul " + f + " sequential/dense/MatMul",
        "dense_1/kernel", "[256, 256] MatMul " + f + " sequential/dense_1/MatMul",
        "dense_2/kernel", "[256, 256] MatMul " + f + " sequential/dense_2/MatMul",
        "dense_3/kernel", "[256, 1] MatMul " + f + " sequential/dense_3/MatMul"), rows(kernels));
    assertEquals(List.of("dense_3/kernel"), heads(kernels));
  }

  @Test
  void oneMultiHeadAttentionEncoder() throws IOException {
    List<Kernel> kernels = KernelDiscovery.discover(load("keras_mha1_encoder"), "serving_default");
    String f = "__inference__wrapped_model_544739";
    String mha = "transformer_encoder_27/multi_head_attention_27/";
    String node = "model_27/" + mha;
    assertEquals(Map.of(
        "dense_83/kernel", "[6, 1] MatMul " + f + " model_27/dense_83/MatMul",
        mha + "attention_output/kernel", "[2, 32, 6] Einsum[abcd,cde->abe] " + f + " " + node
            + "attention_output/einsum/Einsum",
        mha + "key/kernel", "[6, 2, 32] Einsum[abc,cde->abde] " + f + " " + node + "key/einsum/Einsum",
        mha + "query/kernel", "[6, 2, 32] Einsum[abc,cde->abde] " + f + " " + node + "query/einsum/Einsum",
        mha + "value/kernel", "[6, 2, 32] Einsum[abc,cde->abde] " + f + " " + node + "value/einsum/Einsum",
        "dense_81/kernel", "[6, 32] MatMul " + f + " model_27/transformer_encoder_27/sequential_27/dense_81/Tensordot/MatMul",
        "dense_82/kernel", "[32, 6] MatMul " + f + " model_27/transformer_encoder_27/sequential_27/dense_82/Tensordot/MatMul"),
        rows(kernels));
    Map<String, Kernel> byName = kernels.stream().collect(Collectors.toMap(Kernel::name, k -> k));
    // EinsumDense sizes: q/k/v map 6 -> 2*32, the output projection 2*32 -> 6.
    assertEquals(6, byName.get(mha + "query/kernel").inFeatures());
    assertEquals(64, byName.get(mha + "query/kernel").outFeatures());
    assertEquals(64, byName.get(mha + "attention_output/kernel").inFeatures());
    assertEquals(6, byName.get(mha + "attention_output/kernel").outFeatures());
    assertEquals(List.of("dense_83/kernel"), heads(kernels));
  }

  @Test
  void threeBlockTimeSeriesTransformer() throws IOException {
    List<Kernel> kernels = KernelDiscovery.discover(load("keras_mha3_timeseries"), "serving_default");
    assertEquals(22, kernels.size());
    assertTrue(kernels.stream().allMatch(k -> k.uses().size() == 1
        && k.uses().get(0).function().equals("__inference__wrapped_model_8728")));
    assertEquals(12, kernels.stream().filter(k -> k.op().equals("Einsum")).count());
    assertEquals(List.of("dense_9/kernel"), heads(kernels));
    // The Keras MHA query/value kernels are what bert-qv means on any transformer.
    assertEquals(6, TargetSelector.select(kernels, TargetSelection.of(TargetPattern.preset("bert-qv"))).size());
  }

  @ParameterizedTest
  @ValueSource(strings = {"keras_dense_mlp", "keras_mha1_encoder", "keras_mha3_timeseries"})
  void optimizerSlotsAreNeverKernels(String fixture) throws IOException {
    List<Kernel> kernels = KernelDiscovery.discover(load(fixture), "serving_default");
    assertTrue(kernels.stream().noneMatch(k -> k.name().contains("Adam")), rows(kernels).toString());
  }

  @Test
  void functionKernelsTheRewriteCannotSpliceAreRefusedWithAReason() throws IOException {
    MetaGraphDef keras = load("keras_dense_mlp");
    Kernel dense = KernelDiscovery.discover(keras, "serving_default").get(0);
    KernelUse use = dense.uses().get(0);
    // The same kernel as if a batched matmul applied it: not a linear layer the splice understands.
    Kernel batched = new Kernel(dense.name(), dense.variable(), dense.shape(), dense.inFeatures(),
        dense.outFeatures(), dense.layer(), dense.head(), List.of(new KernelUse(use.node(), "BatchMatMulV2", 1,
            false, false, "", use.function())));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GraphRewriter.rewrite(keras,
        "serving_default", LoraPlan.of(List.of(batched), new LoraConfig(2, 4, 0, 0)), Path.of("unused")));
    assertTrue(e.getMessage().contains("kernel " + dense.name() + " is applied by " + use.node()
        + " (matmul [in,out]) inside function " + use.function()), e.getMessage());
    assertTrue(e.getMessage().contains("plain 2-D MatMul (Dense layers) or a matmul-like Einsum"), e.getMessage());
  }

  private static List<String> heads(List<Kernel> kernels) {
    return kernels.stream().filter(Kernel::head).map(Kernel::name).collect(Collectors.toList());
  }
}

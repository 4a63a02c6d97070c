package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.testing.SharedFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.SavedModel;

/**
 * The presets on the kernels discovered in real TF2 exports: the ALBERT-tiny classifier (bert-for-tf2, one layer
 * shared by four depths) and three Keras models by others (a Dense stack, one and three MultiHeadAttention blocks
 * with Dense feed-forward layers). Expected names are from each fixture's SOURCE.md.
 */
class PresetsOnRealModelsTest {
  private static final String SHARED = "albert/encoder/layer_shared/";

  private static List<Kernel> kernels(String fixture) throws IOException {
    byte[] pb = Files.readAllBytes(SharedFolder.resolve("fixtures/tf2/" + fixture + "/saved_model.pb"));
    return KernelDiscovery.discover(SavedModel.parseFrom(pb).getMetaGraphs(0), "serving_default");
  }

  private static List<String> select(List<Kernel> kernels, String targets) {
    return TargetSelector.select(kernels, TargetSelection.of(TargetPattern.parse(targets))).stream()
        .map(Kernel::name).collect(Collectors.toList());
  }

  @Test
  void albertsSharedLayerIsFoundOnceWithoutItsEmbeddingProjectionOrClassifier() throws IOException {
    List<Kernel> kernels = kernels("albert_tiny_zh");
    assertEquals(List.of(SHARED + "attention/self/query/kernel", SHARED + "attention/self/value/kernel"),
        select(kernels, "bert-qv"));
    assertEquals(List.of(SHARED + "attention/self/query/kernel", SHARED + "attention/self/key/kernel",
        SHARED + "attention/self/value/kernel", SHARED + "attention/output/dense/kernel",
        SHARED + "intermediate/kernel", SHARED + "output/dense/kernel"), select(kernels, "all-linear"));
    assertTrue(kernels.stream().anyMatch(k -> k.name().equals("albert/embeddings/word_embeddings_projector/projector")),
        "the projection is a kernel, which all-linear leaves out");
  }

  @Test
  void albertsSharedLayerHasNoNumberSoALayerFilterSaysWhyItSelectsNothing() throws IOException {
    List<Kernel> kernels = kernels("albert_tiny_zh");
    assertTrue(kernels.stream().allMatch(k -> k.layer().isEmpty()));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TargetSelector.select(kernels, TargetSelection.parse("bert-qv", null, "0-3")));
    assertTrue(e.getMessage().contains("(2 matched before the exclusion and layer filter; 2 of them have no layer"
        + " number in their names"), e.getMessage());
    assertTrue(e.getMessage().contains("a layer shared by every depth, as ALBERT's, has none"), e.getMessage());
  }

  @Test
  void aKerasBlocksFeedForwardDenseLayersAreLayerKernels() throws IOException {
    List<Kernel> kernels = kernels("keras_mha1_encoder");
    String mha = "transformer_encoder_27/multi_head_attention_27/";
    assertEquals(List.of(mha + "query/kernel", mha + "value/kernel"), select(kernels, "bert-qv"));
    assertEquals(List.of(mha + "query/kernel", mha + "key/kernel", mha + "value/kernel",
        mha + "attention_output/kernel", "dense_81/kernel", "dense_82/kernel"), select(kernels, "all-linear"));
  }

  @Test
  void threeKerasBlocksWithoutTheInputProjectionAndTheClassifierOnTop() throws IOException {
    List<Kernel> kernels = kernels("keras_mha3_timeseries");
    assertEquals(6, select(kernels, "bert-qv").size());
    List<String> allLinear = select(kernels, "all-linear");
    assertEquals(18, allLinear.size(), allLinear.toString());
    // dense: the input projection before the blocks; dense_7, dense_8 and the head dense_9 come after them.
    for (String outside : List.of("dense/kernel", "dense_7/kernel", "dense_8/kernel", "dense_9/kernel")) {
      assertTrue(!allLinear.contains(outside), outside + " is outside the blocks");
    }
    for (String ffn : List.of("dense_1/kernel", "dense_2/kernel", "dense_5/kernel", "dense_6/kernel")) {
      assertTrue(allLinear.contains(ffn), ffn + " is a block's feed-forward layer");
    }
  }

  @Test
  void aModelWithoutAttentionHasNoQueryOrValueAndTheErrorListsItsKernels() throws IOException {
    List<Kernel> kernels = kernels("keras_dense_mlp");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> select(kernels, "bert-qv"));
    assertTrue(e.getMessage().contains("preset bert-qv found none of its attention query and value kernels among "
        + "the model's 4 kernels: dense/kernel, dense_1/kernel, dense_2/kernel, dense_3/kernel"), e.getMessage());
    // Without attention all-linear is PEFT's: every kernel but the output head.
    assertEquals(List.of("dense/kernel", "dense_1/kernel", "dense_2/kernel"), select(kernels, "all-linear"));
  }
}

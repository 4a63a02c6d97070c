package dev.finetune.vblora.savedmodel.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Delta weights of tiny adapters worked out by hand from the method's definition (docs/vblora.md). */
class VbLoraAdapterTest {
  @TempDir
  Path temp;

  /**
   * k=1 picks bank vectors directly, which pins the layout: A [r, in] has sub-vector (row, tile) at columns
   * tile*b..; B [out, r] has sub-vector (tile, col) down rows tile*b.. of column col.
   */
  @Test
  void subVectorsLandWherePeftPutsThem() {
    float[][] bank = {{1, 2}, {3, 4}, {5, 6}, {7, 8}};
    // A: r=2, in=4 (2 tiles): (0,0)=v0 (0,1)=v1 (1,0)=v2 (1,1)=v3 -> A = [[1,2,3,4],[5,6,7,8]]
    TopKLogits a = new TopKLogits(2, 2, 4, 1, new int[] {0, 1, 2, 3}, new float[0]);
    // B: out=2 (1 tile), r=2: (0,0)=v3 (0,1)=v0 -> B = [[7,1],[8,2]]
    TopKLogits b = new TopKLogits(1, 2, 4, 1, new int[] {3, 0}, new float[0]);
    VbLoraAdapter adapter = adapter(config(2, 4, 2, 1, true), bank, new VbLoraModule("m", a, b));
    DeltaWeights delta = adapter.deltaWeights("m");
    float[][] expected = {{12, 20, 28, 36}, {18, 28, 38, 48}}; // B @ A
    assertArrayEquals(expected, delta.pytorchWeight());
    assertArrayEquals(new float[][] {{12, 18}, {20, 28}, {28, 38}, {36, 48}}, delta.tfKernel());
    assertEquals(4, delta.inFeatures());
    assertEquals(2, delta.outFeatures());
  }

  /** Full logits: softmax over the top-k logits only; ties go to the lower index, like torch.topk. */
  @Test
  void fullLogitsMixTheirTopKBySoftmax() {
    float[][] bank = {{1, 0}, {0, 1}, {2, 2}};
    float ln3 = (float) Math.log(3);
    // A: top-2 of [ln3, 0, -5] = v0, v1 with weights 3/4, 1/4 -> A = [[0.75, 0.25]]
    FullLogits a = new FullLogits(1, 1, 3, new float[] {ln3, 0, -5});
    // B: top-2 of [-1, 0, 0] = v1, v2 with 1/2 each -> sub-vector [1, 1.5] -> B = [[1], [1.5]]
    FullLogits b = new FullLogits(1, 1, 3, new float[] {-1, 0, 0});
    VbLoraAdapter adapter = adapter(config(1, 3, 2, 2, false), bank, new VbLoraModule("m", a, b));
    float[][] delta = adapter.deltaWeights("m").pytorchWeight();
    assertArrayEquals(new float[] {0.75f, 0.25f}, delta[0], 1e-6f);
    assertArrayEquals(new float[] {1.125f, 0.375f}, delta[1], 1e-6f);

    TopKLogits cut = b.toTopK(2);
    assertArrayEquals(new int[] {1, 2}, cut.indices());
    assertArrayEquals(new float[] {0.5f}, cut.weights());
    assertArrayEquals(new int[] {0, 1}, a.toTopK(2).indices());
    assertArrayEquals(new float[] {0.75f}, a.toTopK(2).weights(), 1e-7f);
  }

  @Test
  void lastTopKWeightIsOneMinusTheOthers() {
    TopKLogits logits = new TopKLogits(1, 1, 5, 3, new int[] {4, 0, 2}, new float[] {0.5f, 0.3f});
    SubVectorLogits.Mixture mixture = logits.mixture(0, 3);
    assertArrayEquals(new int[] {4, 0, 2}, mixture.indices());
    assertArrayEquals(new double[] {0.5, 0.3, 0.2}, mixture.weights(), 1e-7);
  }

  @Test
  void writesBothLayoutsAndReadsThemBack() throws IOException {
    float[][] bank = {{1, 0}, {0, 1}, {2, 2}};
    VbLoraModule module = new VbLoraModule("encoder.layer.0.attention.self.query",
        new FullLogits(1, 2, 3, new float[] {0.3f, 0.1f, -0.2f, 0.0f, 0.5f, 0.4f}),
        new FullLogits(1, 1, 3, new float[] {-1, 0, 0.25f}));
    VbLoraAdapter full = adapter(config(1, 3, 2, 2, false), bank, module);
    full.write(temp.resolve("full"), false);
    full.withConfig(full.config().withSaveOnlyTopkWeights(true)).write(temp.resolve("topk"), false);
    VbLoraAdapter readFull = VbLoraAdapter.read(temp.resolve("full"));
    VbLoraAdapter readTopK = VbLoraAdapter.read(temp.resolve("topk"));
    assertEquals(module, readFull.module(module.path()));
    assertTrue(readTopK.holdsOnlyTopK());
    float[][] reference = full.deltaWeights(module.path()).pytorchWeight();
    assertArrayEquals(reference, readFull.deltaWeights(module.path()).pytorchWeight());
    for (int o = 0; o < reference.length; o++) {
      assertArrayEquals(reference[o], readTopK.deltaWeights(module.path()).pytorchWeight()[o], 1e-6f);
    }
    assertArrayEquals(bank, readTopK.vectorBank());
  }

  @Test
  void indexDtypeFollowsPeftsRule() {
    assertEquals(Dtype.U8, VbLoraSafetensors.indexDtype(255));
    assertEquals(Dtype.I16, VbLoraSafetensors.indexDtype(256));
    assertEquals(Dtype.I16, VbLoraSafetensors.indexDtype(32767));
    assertEquals(Dtype.I32, VbLoraSafetensors.indexDtype(32768));
  }

  @Test
  void inconsistentPartsAreRefusedWithTheirNames() {
    float[][] bank = {{1, 0}, {0, 1}, {2, 2}};
    FullLogits rank1 = new FullLogits(1, 1, 3, new float[3]);
    FullLogits rank2 = new FullLogits(2, 1, 3, new float[6]);
    assertMessage(() -> new VbLoraModule("m", rank2, rank1), "module m: logits_A has rank 2");
    assertMessage(() -> adapter(config(2, 3, 2, 2, false), bank, new VbLoraModule("m", rank1, rank1)),
        "module m has rank 1 but r is 2");
    assertMessage(() -> adapter(config(1, 4, 2, 2, false), bank, new VbLoraModule("m", rank1, rank1)),
        "vector bank has 3 vectors but num_vectors is 4");
    TopKLogits topK = rank1.toTopK(2);
    assertMessage(() -> adapter(config(1, 3, 2, 2, false), bank, new VbLoraModule("m", topK, topK)),
        "save_only_topk_weights must be true");
    assertMessage(() -> new TopKLogits(1, 1, 3, 2, new int[] {0, 3}, new float[] {0.5f}),
        "selects bank vector 3, outside the bank's 3 vectors");
    assertMessage(() -> new TopKLogits(1, 1, 3, 3, new int[] {0, 1, 2}, new float[] {0.7f, 0.6f}),
        "summing to");
    assertMessage(() -> new FullLogits(1, 1, 3, new float[] {0, Float.NaN, 0}), "logit 1 is NaN");
  }

  /** Finite factors whose product overflows float would merge as infinity: refused, naming the module. */
  @Test
  void anUpdateThatOverflowsFloatIsRefusedNamingTheModule() {
    float big = 3e38f;
    float[][] bank = {{big, big}, {big, big}, {big, big}};
    FullLogits logits = new FullLogits(1, 1, 3, new float[3]);
    VbLoraAdapter adapter = adapter(config(1, 3, 2, 2, false), bank, new VbLoraModule("m", logits, logits));
    assertMessage(() -> adapter.deltaWeights("m"), "module m: its weight update (B A, [out, in]) holds Infinity"
        + " at [0, 0] (4 of its 4 values are NaN or infinite)");
  }

  @Test
  void aBankHoldingInfinityIsRefused() {
    float[][] bank = {{1, 0}, {0, Float.NEGATIVE_INFINITY}, {2, 2}};
    FullLogits logits = new FullLogits(1, 1, 3, new float[3]);
    assertMessage(() -> adapter(config(1, 3, 2, 2, false), bank, new VbLoraModule("m", logits, logits)),
        "the vector bank (base_model.vblora_vector_bank) holds -Infinity at [1, 1]");
  }

  private static void assertMessage(Executable action, String fragment) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, action);
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }

  private static PeftVbLoraConfig config(int r, int h, int b, int k, boolean topK) {
    return PeftVbLoraConfig.builder().r(r).numVectors(h).vectorLength(b).topk(k).saveOnlyTopkWeights(topK)
        .targetModules(List.of("query")).build();
  }

  private static VbLoraAdapter adapter(PeftVbLoraConfig config, float[][] bank, VbLoraModule module) {
    return VbLoraAdapter.of(config, bank, List.of(module), Map.of());
  }
}

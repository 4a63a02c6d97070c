package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AdapterPlanTest {
  private static final List<Kernel> QV = TargetSelector.select(BertLikeKernels.all(),
      TargetSelection.of(TargetPattern.preset("bert-qv")));

  private static VbLoraConfig config(int h, int b, int r, int k) {
    return VbLoraConfig.builder().numVectors(h).vectorLength(b).rank(r).topk(k).build();
  }

  @Test
  void thePapersBertQvFigure() {
    // VB-LoRA paper, Sec. 3.4: h*b + 3*L*M*r*(d/b) = 90*256 + 3*12*2*4*3 = 23,904 for q,v of a base model.
    VbLoraPlan plan = VbLoraPlan.of(QV, config(90, 256, 4, 2));
    assertEquals(23_904, plan.storedParams());
    assertEquals(23_904, plan.topkStoredParams());
  }

  @Test
  void logitsShapesFollowPeft() {
    VbLoraPlan plan = VbLoraPlan.of(BertLikeKernels.all().subList(0, 6), config(90, 256, 4, 2));
    VbLoraTarget ffnIn = plan.targets().get(4);
    assertEquals(List.of(4L, 3L, 90L), ffnIn.logitsAShape());   // [r, 768/256, h]
    assertEquals(List.of(12L, 4L, 90L), ffnIn.logitsBShape());  // [3072/256, r, h]
    assertEquals(4 * 3 + 12 * 4, ffnIn.subVectors());
    assertEquals(List.of(90L, 256L), plan.bankShape());
  }

  /**
   * Trainable = bank h*b + 576 sub-vectors * h logits; stored (top-k) = bank + per sub-vector (k-1) weights
   * + k indices.
   */
  @ParameterizedTest(name = "h={0} b={1} r={2} k={3}")
  @CsvSource({
      // 24 q/v kernels of 768x768 have 24 * (4*3 + 3*4) = 576 sub-vectors at r=4, b=256.
      // h=90 < 256: uint8 indices (1/4 float): 23040 + 576 + 576*2/4 = 23904
      "90, 256, 4, 2, 74880, 23904",
      // h=256 is not < 2^8: int16 indices (1/2 float): 65536 + 576 + 576*2/2 = 66688
      "256, 256, 4, 2, 212992, 66688",
      // k=3: 23040 + 576*2 + floor(576*3/4) = 23040 + 1152 + 432 = 24624
      "90, 256, 4, 3, 74880, 24624",
      // b=128, r=2: 24 * (2*6 + 6*2) = 576 sub-vectors again; bank 90*128 = 11520; 11520 + 576 + 288 = 12384
      "90, 128, 2, 2, 63360, 12384",
  })
  void parameterCounts(int h, int b, int r, int k, long trainable, long stored) {
    VbLoraPlan plan = VbLoraPlan.of(QV, config(h, b, r, k));
    assertEquals(trainable, plan.trainableParams());
    assertEquals(stored, plan.storedParams());
  }

  @Test
  void withFullLogitsStoredEqualsTrainable() {
    VbLoraPlan plan = VbLoraPlan.of(QV, config(90, 256, 4, 2).toBuilder().saveOnlyTopkWeights(false).build());
    assertEquals(74_880, plan.storedParams());
  }

  @Test
  void aKernelThatDoesNotDivideByVectorLengthIsNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> VbLoraPlan.of(QV, config(90, 100, 4, 2)));
    assertTrue(e.getMessage().contains("in_features 768 of kernel "
        + "module/bert/encoder/layer_0/attention/self/query/kernel is not divisible by vector_length 100"),
        e.getMessage());
  }

  @Test
  void theOutputSideIsCheckedToo() {
    Kernel odd = BertLikeKernels.kernel("head/kernel", 768, 770, 0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> VbLoraPlan.of(List.of(odd), config(90, 256, 4, 2)));
    assertTrue(e.getMessage().contains("out_features 770 of kernel head/kernel is not divisible by vector_length 256"),
        e.getMessage());
  }

  @Test
  void loraQvOfABaseModel() {
    // The paper's LoRA q,v baseline on a base model: 0.295M = 24 * 8 * (768 + 768).
    LoraPlan plan = LoraPlan.of(QV, new LoraConfig(8, 16, 0.0, 0));
    assertEquals(294_912, plan.trainableParams());
    assertEquals(294_912, plan.storedParams());
    assertEquals(List.of(768L, 8L), plan.targets().get(0).downShape());
    assertEquals(List.of(8L, 768L), plan.targets().get(0).upShape());
    assertEquals(2.0, plan.config().scaling());
    assertEquals("lora", plan.method());
  }

  @ParameterizedTest
  @CsvSource({"0, 256, 256, 2, rank (PEFT's r)", "4, 256, 256, 300, topk", "4, 0, 256, 1, numVectors",
      "4, 256, 0, 1, vectorLength"})
  void configsAreValidated(int r, int h, int b, int k, String field) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config(h, b, r, k));
    assertTrue(e.getMessage().startsWith(field), e.getMessage());
  }
}

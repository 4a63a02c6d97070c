package dev.finetune.vblora.training.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.model.Kernel;
import dev.finetune.vblora.model.KernelDiscovery;
import dev.finetune.vblora.model.VbLoraConfig;
import dev.finetune.vblora.model.VbLoraPlan;
import dev.finetune.vblora.ops.testing.SharedFolder;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.SavedModelReader;
import dev.finetune.vblora.training.device.DeviceOptions;
import dev.finetune.vblora.training.testing.Bert;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The merged measurement must time the model a merged export serves: the untouched graph computing what the
 * adapted graph computes. Checked on BERT-base and on a Keras encoder with an adapter large enough to move the
 * output.
 */
class MergedInferenceTest {
  @Test
  void theMergedGraphComputesTheAdaptedOutputAndTheBaseGraphDoesNot() {
    SavedModelInfo bert = Bert.read();
    // A wide bank init makes the update big enough to tell adapted from untouched outputs apart.
    VbLoraConfig config = VbLoraConfig.builder().numVectors(90).rank(4).topk(2).initVectorBankBound(0.5).seed(7)
        .build();
    assertMergedIsAdapted(bert, VbLoraPlan.of(Bert.queryValue(bert), config), 16);
  }

  /**
   * A Keras encoder of feature vectors ([-1, 30, 6] float inputs) whose attention kernels are Einsums of rank-3
   * variables and whose own output is a regression: the merged measurement reshapes each [d_in, d_out] delta to its
   * variable's shape, and bench fills the inputs with features and trains that output.
   */
  @Test
  void aKerasEncodersEinsumKernelsMergeInTheirOwnShape() {
    SavedModelInfo keras = SavedModelReader.read(SharedFolder.resolve("fixtures/tf2/keras_mha1_encoder"));
    List<Kernel> kernels = KernelDiscovery.discover(keras.metaGraph(), SavedModelInfo.DEFAULT_SIGNATURE).stream()
        .filter(k -> k.inFeatures() % 2 == 0 && k.outFeatures() % 2 == 0).toList();
    assertTrue(kernels.stream().anyMatch(k -> k.op().equals("Einsum")), "the fixture has Einsum kernels");
    VbLoraConfig config = VbLoraConfig.builder().numVectors(16).vectorLength(2).rank(2).topk(2)
        .initVectorBankBound(0.5).seed(7).build();
    assertMergedIsAdapted(keras, VbLoraPlan.of(kernels, config), 30);
  }

  private static void assertMergedIsAdapted(SavedModelInfo model, VbLoraPlan plan, int length) {
    String signature = SavedModelInfo.DEFAULT_SIGNATURE;
    BenchTask.Prepared prepared = BenchTask.Prepared.of(model, signature, true,
        new BenchSettings(2, length, 1, 0, DeviceOptions.cpu(), 11), line -> { });
    try (AdaptedModelSession adapted = AdaptedModelSession.open(model, signature, "vblora", plan, prepared,
            DeviceOptions.cpu());
        InferenceSession merged = InferenceSession.merged(model, signature, adapted.deltas(), "vblora", prepared,
            DeviceOptions.cpu());
        InferenceSession base = InferenceSession.base(model, signature, prepared, DeviceOptions.cpu())) {
      double adaptedSum = adapted.forward().scalar();
      double mergedSum = merged.forward().scalar();
      double baseSum = base.forward().scalar();
      double tolerance = 1e-4 * Math.max(1, Math.abs(adaptedSum));
      assertEquals(adaptedSum, mergedSum, tolerance, "merged graph vs adapted graph");
      assertTrue(Math.abs(baseSum - adaptedSum) > 100 * tolerance,
          "the adapter should move the output: base " + baseSum + ", adapted " + adaptedSum);
    }
  }
}

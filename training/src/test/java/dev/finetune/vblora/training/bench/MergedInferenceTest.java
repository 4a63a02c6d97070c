package dev.finetune.vblora.training.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.model.VbLoraConfig;
import dev.finetune.vblora.model.VbLoraPlan;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.training.device.DeviceOptions;
import dev.finetune.vblora.training.testing.Bert;
import org.junit.jupiter.api.Test;

/**
 * The merged measurement must time the model a merged export serves: the untouched graph computing what the
 * adapted graph computes. Checked on BERT-base with an adapter large enough to move the output.
 */
class MergedInferenceTest {
  @Test
  void theMergedGraphComputesTheAdaptedOutputAndTheBaseGraphDoesNot() {
    SavedModelInfo bert = Bert.read();
    // A wide bank init makes the update big enough to tell adapted from untouched outputs apart.
    VbLoraConfig config = VbLoraConfig.builder().numVectors(90).rank(4).topk(2).initVectorBankBound(0.5).seed(7)
        .build();
    BenchSettings settings = new BenchSettings(2, 16, 1, 0, DeviceOptions.cpu(), 11);
    String signature = SavedModelInfo.DEFAULT_SIGNATURE;
    try (AdaptedModelSession adapted = AdaptedModelSession.open(bert, signature, "vblora",
            VbLoraPlan.of(Bert.queryValue(bert), config), settings, DeviceOptions.cpu());
        InferenceSession merged = InferenceSession.merged(bert, signature, adapted.deltas(), "vblora", settings,
            DeviceOptions.cpu());
        InferenceSession base = InferenceSession.base(bert, signature, settings, DeviceOptions.cpu())) {
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

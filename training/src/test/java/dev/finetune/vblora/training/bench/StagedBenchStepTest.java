package dev.finetune.vblora.training.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.model.VbLoraConfig;
import dev.finetune.vblora.model.VbLoraPlan;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.training.device.Device;
import dev.finetune.vblora.training.device.DeviceOptions;
import dev.finetune.vblora.training.device.Precision;
import dev.finetune.vblora.training.testing.Bert;
import org.junit.jupiter.api.Test;

/**
 * Under XLA the bench times train's staged step (its batch staged on the device once, each step fed nothing); it
 * must train on the same synthetic batch, labels and learning rate as the fed step it replaced. Checked on
 * BERT-base without XLA's compilation (the graph is staged by the XLA setting; the numbers are the CPU's).
 */
class StagedBenchStepTest {
  @Test
  void theStagedBenchStepComputesTheFedStepsLosses() {
    SavedModelInfo bert = Bert.read();
    VbLoraConfig config = VbLoraConfig.builder().numVectors(90).rank(4).topk(2).seed(7).build();
    DeviceOptions fed = DeviceOptions.cpu();
    DeviceOptions staged = new DeviceOptions(Device.CPU, true, Precision.FP32, false, 0, 0);
    String signature = SavedModelInfo.DEFAULT_SIGNATURE;
    BenchTask.Prepared prepared = BenchTask.Prepared.of(bert, signature, true,
        new BenchSettings(2, 16, 1, 0, fed, 11), line -> { });
    try (AdaptedModelSession a = AdaptedModelSession.open(bert, signature, "vblora",
            VbLoraPlan.of(Bert.queryValue(bert), config), prepared, fed);
        AdaptedModelSession b = AdaptedModelSession.open(bert, signature, "vblora",
            VbLoraPlan.of(Bert.queryValue(bert), config), prepared, staged)) {
      TimedRun fedStep = a.trainStep(1);
      TimedRun stagedStep = b.trainStep(1);
      for (int step = 0; step < 3; step++) {
        float expected = fedStep.scalar();
        float actual = stagedStep.scalar();
        assertTrue(expected > 0 && Float.isFinite(expected), "loss " + expected);
        assertEquals(expected, actual, 1e-5 * expected, "loss of step " + step);
      }
    }
  }
}

package dev.finetune.vblora.training.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.model.VbLoraConfig;
import dev.finetune.vblora.model.VbLoraPlan;
import dev.finetune.vblora.ops.testing.RequiredInCi;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.training.StepLaunch;
import dev.finetune.vblora.training.device.DeviceOptions;
import dev.finetune.vblora.training.device.XlaCpuFlag;
import dev.finetune.vblora.training.testing.Bert;
import org.junit.jupiter.api.Test;

class XlaNumericsCheckTest {
  /**
   * Without TF_XLA_FLAGS=--tf_xla_cpu_global_jit the CPU ignores XLA, so the two sessions must train
   * identically: same initial values, same batches, same arithmetic. Any difference would come from the
   * check itself (different seeds, batches or feeds), not from XLA.
   */
  @Test
  void withoutXlaOnTheCpuBothSessionsTrainBitForBitAlike() {
    RequiredInCi.assume(!XlaCpuFlag.enabled(), "TF_XLA_FLAGS enables XLA on the CPU in this environment");
    SavedModelInfo bert = Bert.read();
    VbLoraConfig config = VbLoraConfig.builder().numVectors(90).rank(4).topk(2).seed(3).build();
    BenchSettings settings = new BenchSettings(2, 16, 1, 0, DeviceOptions.cpu(), 5);
    XlaComparison comparison = XlaNumericsCheck.run(bert, SavedModelInfo.DEFAULT_SIGNATURE,
        BenchMethod.of("vblora", VbLoraPlan.of(Bert.queryValue(bert), config)), settings, 3, line -> { });
    assertEquals(0, comparison.xlaClusters());
    assertEquals(comparison.lossesWithout(), comparison.lossesWith());
    assertEquals(0.0, comparison.maxRelativeDifference());
    // The steps do train: the cycle of batches gives different losses.
    assertNotEquals(comparison.lossesWithout().get(0), comparison.lossesWithout().get(1));
  }

  /**
   * Asked for the whole-step launch, the XLA side stages each batch and runs the step as the one XLA program train
   * runs on a GPU (here on the CPU's XLA), and its losses stay within float32 rounding of TensorFlow's.
   */
  @Test
  void theXlaSideRunsTheStagedStepAsOneProgramWhenAskedAndTrainsAlike() {
    SavedModelInfo bert = Bert.read();
    VbLoraConfig config = VbLoraConfig.builder().numVectors(90).rank(4).topk(2).seed(3).build();
    BenchSettings settings = new BenchSettings(2, 16, 1, 0, DeviceOptions.cpu(), 5, false, null, 1,
        StepLaunch.WHOLE);
    XlaComparison comparison = XlaNumericsCheck.run(bert, SavedModelInfo.DEFAULT_SIGNATURE,
        BenchMethod.of("vblora", VbLoraPlan.of(Bert.queryValue(bert), config)), settings, 3, line -> { });
    assertEquals(StepLaunch.WHOLE, comparison.stepLaunch());
    assertEquals(1, comparison.xlaClusters(), "the step's one program");
    assertTrue(comparison.maxRelativeDifference() < 1e-5, comparison.toJsonObject().toString());
    assertNotEquals(comparison.lossesWith().get(0), comparison.lossesWith().get(1));
  }
}

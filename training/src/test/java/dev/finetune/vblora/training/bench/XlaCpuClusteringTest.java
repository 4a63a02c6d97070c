package dev.finetune.vblora.training.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.model.VbLoraConfig;
import dev.finetune.vblora.model.VbLoraPlan;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.training.device.DeviceOptions;
import dev.finetune.vblora.training.device.XlaCpuFlag;
import dev.finetune.vblora.training.testing.Bert;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Runs only in the training module's {@code xla-cpu} test execution, which starts the JVM with
 * TF_XLA_FLAGS=--tf_xla_cpu_global_jit (TensorFlow reads it once, at process start).
 */
@Tag("xla-cpu")
class XlaCpuClusteringTest {

  /**
   * BERT's embeddings hold an Assert (sequence length <= position table) that XLA cannot compile; left in, it
   * cut the step into two clusters with a host round trip between them, and on the CPU the remapper's fused
   * MatMuls cut it into ~50. With XLA the session strips Asserts and skips the CPU remapper, so forward,
   * backward and AdamW update compile into one cluster, and the first loss is the one computed without XLA.
   */
  @Test
  void theWholeBertTrainingStepIsOneXlaClusterWithTheSameLoss() {
    assertTrue(XlaCpuFlag.enabled(), "this execution must start with " + XlaCpuFlag.VARIABLE + "="
        + XlaCpuFlag.FLAG + " (see the xla-cpu execution in training/pom.xml)");
    SavedModelInfo bert = Bert.read();
    VbLoraConfig config = VbLoraConfig.builder().numVectors(90).rank(4).topk(2).seed(3).build();
    // The graph XLA trains: with the one-position tail (DeviceOptions.tailForm), whose row slices must compile.
    BenchSettings settings = new BenchSettings(2, 16, 1, 0, DeviceOptions.cpu().withXla(true), 5);
    XlaComparison comparison = XlaNumericsCheck.run(bert, SavedModelInfo.DEFAULT_SIGNATURE,
        BenchMethod.of("vblora", VbLoraPlan.of(Bert.queryValue(bert), config)), settings, 2, line -> { });
    assertEquals(1, comparison.xlaClusters(), "XLA clusters in one training step");
    double without = comparison.lossesWithout().get(0);
    double with = comparison.lossesWith().get(0);
    assertEquals(without, with, 1e-5 * Math.abs(without), "first loss without / with XLA");
  }
}

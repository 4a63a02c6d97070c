package dev.finetune.vblora.training.device;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.ops.testing.RequiredInCi;
import org.junit.jupiter.api.Test;

class DeviceProbeTest {
  @Test
  void cpuIsAlwaysAvailable() {
    DeviceProbe.requireAvailable(DeviceOptions.cpu());
  }

  /** The environment fused attention needs is checked before the GPU, the model or the data is touched. */
  @Test
  void fusedAttentionWithoutXlasFlagFailsFirstNamingTheVariable() {
    assumeFalse(FusedAttentionFlags.enabledIn(String.valueOf(System.getenv(FusedAttentionFlags.VARIABLE))),
        "this process was started with XLA's fused-attention flag");
    DeviceOptions fused = DeviceOptions.gpu().withPrecision(Precision.BF16).withFusedAttention(true);
    InvalidSettingException e = assertThrows(InvalidSettingException.class,
        () -> DeviceProbe.requireAvailable(fused));
    assertTrue(e.getMessage().contains(FusedAttentionFlags.VARIABLE + "=" + FusedAttentionFlags.FLAG + "=true"),
        e.getMessage());
  }

  @Test
  void aGpuRequestOnTheCpuBuildFailsSayingHowToGetTheGpuBuild() {
    RequiredInCi.assume(!System.getProperty("java.class.path").contains("linux-x86_64-gpu"),
        "this test needs the CPU build of TensorFlow on the class path");
    DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class,
        () -> DeviceProbe.requireAvailable(DeviceOptions.gpu()));
    assertTrue(e.getMessage().contains("no GPU found"), e.getMessage());
    assertTrue(e.getMessage().contains("CPU build"), e.getMessage());
    assertTrue(e.getMessage().contains("-Pgpu"), e.getMessage());
    assertTrue(e.getMessage().contains("CUDA 12 and cuDNN 9"), e.getMessage());
  }
}

package dev.finetune.vblora.training.device;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.testing.RequiredInCi;
import org.junit.jupiter.api.Test;

class DeviceProbeTest {
  @Test
  void cpuIsAlwaysAvailable() {
    DeviceProbe.requireAvailable(DeviceOptions.cpu());
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

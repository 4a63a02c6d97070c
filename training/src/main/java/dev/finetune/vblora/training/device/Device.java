package dev.finetune.vblora.training.device;

import dev.finetune.vblora.data.error.InvalidSettingException;
import java.util.Locale;

/** Where a session runs its kernels. CPU is the default everywhere: the GPU path needs the -Pgpu build. */
public enum Device {
  CPU,
  GPU;

  /** {@code cpu} or {@code gpu}, as on the command line. */
  public static Device parse(String value) {
    switch (value == null ? "" : value.trim().toLowerCase(Locale.ROOT)) {
      case "cpu":
        return CPU;
      case "gpu":
      case "cuda":
        return GPU;
      default:
        throw new InvalidSettingException("device", "device must be cpu or gpu, got '" + value + "'");
    }
  }

  /** The name used on the command line and in reports. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}

package dev.finetune.vblora.training.device;

import dev.finetune.vblora.data.error.InvalidSettingException;
import java.util.List;

/** The requested device does not exist in this process; the message says how to get it. */
public final class DeviceUnavailableException extends InvalidSettingException {
  private static final long serialVersionUID = 1L;

  public DeviceUnavailableException(String message, Throwable cause) {
    super(List.of("device"), message, cause);
  }
}

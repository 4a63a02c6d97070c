package dev.finetune.vblora.training.device;

import dev.finetune.vblora.data.error.InvalidSettingException;
import java.util.List;

/** The requested device does not exist in this process; the message says how to get it. */
public final class DeviceUnavailableException extends InvalidSettingException {
  private static final long serialVersionUID = 1L;

  /** @param tensorflowSays TensorFlow's own message, quoted at the end */
  public DeviceUnavailableException(String message, String tensorflowSays, Throwable cause) {
    super(List.of("device"), message, tensorflowSays, cause);
  }
}

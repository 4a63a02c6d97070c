package dev.finetune.vblora.training.device;

/** The requested device does not exist in this process; the message says how to get it. */
public final class DeviceUnavailableException extends IllegalStateException {
  private static final long serialVersionUID = 1L;

  public DeviceUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}

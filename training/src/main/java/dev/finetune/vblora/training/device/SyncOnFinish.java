package dev.finetune.vblora.training.device;

/**
 * TensorFlow's {@code TF_SYNC_ON_FINISH} switch, read natively when a session is created: by default (1) every
 * session call waits until the GPU has run all it enqueued, even when nothing is fetched. With 0 a call that
 * fetches nothing returns once its kernels are enqueued, so the host prepares the next training step while the
 * GPU still runs this one; a fetch still waits for what it reads. Java cannot set a process's environment, so
 * the {@code vblora} launcher sets 0; this class only reports it.
 */
public final class SyncOnFinish {
  public static final String VARIABLE = "TF_SYNC_ON_FINISH";

  private SyncOnFinish() {}

  /** Whether sessions created by this process wait for the device at the end of every call. */
  public static boolean waitsForDevice() {
    return waitsForDevice(System.getenv(VARIABLE));
  }

  /** As TensorFlow's ReadBoolFromEnvVar reads {@code value}: "0" and "false" (any case) turn it off. */
  static boolean waitsForDevice(String value) {
    return value == null || !(value.equals("0") || value.equalsIgnoreCase("false"));
  }

  /** For reports: "0 (calls without a fetch do not wait)" or "1 (default: every call waits)". */
  public static String describe() {
    return waitsForDevice() ? "1 (every session call waits for the device)"
        : "0 (a call without a fetch returns once its work is enqueued)";
  }
}

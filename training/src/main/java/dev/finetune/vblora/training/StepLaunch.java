package dev.finetune.vblora.training;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Locale;

/**
 * How a staged step (see {@link StagedSteps}) is handed to XLA. Both run the same nodes; they differ in what
 * TensorFlow does with the variables the step updates.
 */
public enum StepLaunch {
  /**
   * The step's target as it is: with XLA on, TensorFlow's auto-clustering compiles it and runs it as an
   * {@code _XlaCompile}/{@code _XlaRun} pair, which writes each updated variable to a new buffer; without XLA,
   * TensorFlow's own kernels.
   */
  CLUSTERED,
  /**
   * The whole step as one XLA program through one XlaLaunch op (see {@link
   * dev.finetune.vblora.model.XlaLaunchStep}), which updates the variables in their own buffers, so XLA's
   * recorded command buffer stays valid from step to step. Compiles whether or not auto-clustering is on.
   */
  WHOLE;

  /** {@code clustered} or {@code whole}, as on the command line and in JSON. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static StepLaunch parse(String value) {
    for (StepLaunch launch : values()) {
      if (launch.label().equals(value.trim().toLowerCase(Locale.ROOT))) {
        return launch;
      }
    }
    throw new VbLoraException("step launch must be clustered or whole, got '" + value + "'");
  }
}

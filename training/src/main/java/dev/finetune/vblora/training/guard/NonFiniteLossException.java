package dev.finetune.vblora.training.guard;

import dev.finetune.vblora.data.error.InvalidSettingException;
import java.util.List;

/** Training stopped because a step's loss was NaN or infinite. */
public final class NonFiniteLossException extends InvalidSettingException {
  private static final long serialVersionUID = 1L;

  /** The settings that most often make a loss diverge, the first to change first. */
  static final List<String> SETTINGS = List.of("lrBank", "lrLogits", "lrLora", "lrHead", "maxGradNorm", "resume",
      "overwrite");

  private final long step;
  private final double loss;

  NonFiniteLossException(String message, long step, double loss) {
    super(SETTINGS, message);
    this.step = step;
    this.loss = loss;
  }

  /** The step whose loss was not finite. */
  public long step() {
    return step;
  }

  public double loss() {
    return loss;
  }
}

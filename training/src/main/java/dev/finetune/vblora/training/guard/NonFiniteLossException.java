package dev.finetune.vblora.training.guard;

/** Training stopped because a step's loss was NaN or infinite. */
public final class NonFiniteLossException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final long step;
  private final double loss;

  NonFiniteLossException(String message, long step, double loss) {
    super(message);
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

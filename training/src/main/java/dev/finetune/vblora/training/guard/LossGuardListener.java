package dev.finetune.vblora.training.guard;

import dev.finetune.vblora.training.listen.StepReport;
import dev.finetune.vblora.training.listen.TrainingListener;
import java.nio.file.Path;

/**
 * {@link LossGuard} as a listener: stops the run (by throwing from {@link #onStep}) at the first non-finite
 * loss, naming the newest checkpoint to resume from. A default listener of every run (see
 * {@code TrainingListeners#defaults()}); a caller who drops it trains on through NaN.
 */
public final class LossGuardListener implements TrainingListener {
  private Path lastCheckpoint;

  /** @param resumedFrom the checkpoint the run resumed from, or null for a fresh run */
  public LossGuardListener(Path resumedFrom) {
    this.lastCheckpoint = resumedFrom;
  }

  /** @throws NonFiniteLossException when the step's loss is NaN or infinite */
  @Override
  public void onStep(StepReport step) {
    LossGuard.check(step.step(), step.loss(), lastCheckpoint == null ? null : lastCheckpoint.toString());
  }

  @Override
  public void onCheckpoint(long step, Path dir) {
    lastCheckpoint = dir;
  }
}

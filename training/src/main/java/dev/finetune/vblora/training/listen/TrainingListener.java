package dev.finetune.vblora.training.listen;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Observes a training run; the loop itself never prints. Every method has an empty default, so a listener
 * implements only what it needs. Listeners that hold files release them in {@link #close()}.
 */
public interface TrainingListener extends AutoCloseable {

  /**
   * Something the run noticed before it started and trains on with, e.g. XLA asked for on a CPU whose process
   * did not enable it, a base model that is itself a merged model, or examples cut to maxLength. Said before
   * {@link #onStart}.
   */
  default void onWarning(String warning) {}

  default void onStart(TrainingPlan plan) {}

  default void onStep(StepReport step) {}

  default void onEvaluation(EvaluationReport evaluation) {}

  /** A checkpoint of {@code step} is saved in {@code dir} (after the step's evaluation). */
  default void onCheckpoint(long step, Path dir) {}

  default void onEnd(TrainingSummary summary) {}

  @Override
  default void close() throws IOException {}
}

package dev.finetune.vblora.training.listen;

import dev.finetune.vblora.data.error.VbLoraException;

/**
 * What a run is about to do, announced to listeners before the first step.
 *
 * @param totalSteps optimizer steps of the whole run
 * @param startStep steps already done (0, or the checkpoint's step when resuming)
 * @param epochs number of passes over the training data
 * @param stepsPerEpoch optimizer steps per pass
 * @param batchSize examples per step
 * @param trainExamples examples in the training set
 */
public record TrainingPlan(long totalSteps, long startStep, int epochs, long stepsPerEpoch, int batchSize,
    long trainExamples) {

  public TrainingPlan {
    if (totalSteps <= 0) {
      throw new VbLoraException("a training plan needs at least one step, got " + totalSteps);
    }
    if (startStep < 0 || startStep > totalSteps) {
      throw new VbLoraException("start step " + startStep + " is outside [0, " + totalSteps + "]");
    }
  }
}

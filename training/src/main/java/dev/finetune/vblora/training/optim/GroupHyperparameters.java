package dev.finetune.vblora.training.optim;

import dev.finetune.vblora.data.error.VbLoraException;

/**
 * Learning rate and weight decay of one parameter group, before it is bound to variables.
 *
 * @param learningRate peak learning rate (> 0)
 * @param weightDecay decoupled weight decay (>= 0)
 */
public record GroupHyperparameters(double learningRate, double weightDecay) {

  public GroupHyperparameters {
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new VbLoraException("learning rate " + learningRate + " must be a finite number > 0");
    }
    if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
      throw new VbLoraException("weight decay " + weightDecay + " must be a finite number >= 0");
    }
  }

  public GroupHyperparameters withLearningRate(double value) {
    return new GroupHyperparameters(value, weightDecay);
  }

  public GroupHyperparameters withWeightDecay(double value) {
    return new GroupHyperparameters(learningRate, value);
  }
}

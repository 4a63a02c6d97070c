package dev.finetune.vblora.training.optim;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.model.ResourceVariable;
import java.util.List;
import java.util.Objects;

/**
 * Variables that share one learning rate and one weight decay, like a torch.optim param group.
 *
 * @param name short label used in op names and messages, e.g. "bank", "logits", "head"
 * @param variables the resource variables of this group (at least one)
 * @param learningRate peak learning rate, multiplied each step by the schedule's multiplier
 * @param weightDecay decoupled weight decay: each step p = p * (1 - lr * weightDecay) before the Adam step
 */
public record ParameterGroup(String name, List<ResourceVariable> variables, double learningRate,
    double weightDecay) {

  public ParameterGroup {
    Objects.requireNonNull(name, "name");
    variables = List.copyOf(variables);
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
      throw new VbLoraException("parameter group name \"" + name
          + "\" must be letters, digits, '_', '.' or '-' (it becomes part of op names)");
    }
    if (variables.isEmpty()) {
      throw new VbLoraException("parameter group " + name + " has no variables");
    }
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new VbLoraException("learning rate of parameter group " + name + " is " + learningRate
          + "; it must be a finite number > 0");
    }
    if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
      throw new VbLoraException("weight decay of parameter group " + name + " is " + weightDecay
          + "; it must be a finite number >= 0");
    }
  }

  public static ParameterGroup of(String name, List<ResourceVariable> variables, GroupHyperparameters hp) {
    return new ParameterGroup(name, variables, hp.learningRate(), hp.weightDecay());
  }
}

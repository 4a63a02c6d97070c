package dev.finetune.vblora.training.optim;

import dev.finetune.vblora.model.ResourceVariable;
import dev.finetune.vblora.training.TrainingDefaults;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The three parameter groups of a VB-LoRA run: the shared vector bank, all logits, and the new task head.
 * The bank and the logits are not decayed: the bank is tiny and shared, and decaying logits would flatten
 * the top-k choice. The defaults are {@link TrainingDefaults}' (the paper's GLUE learning rates and the usual
 * BERT fine-tuning weight decay of the head).
 */
public record VbLoraGroupSettings(GroupHyperparameters bank, GroupHyperparameters logits,
    GroupHyperparameters head) {

  public VbLoraGroupSettings {
    Objects.requireNonNull(bank, "bank");
    Objects.requireNonNull(logits, "logits");
    Objects.requireNonNull(head, "head");
  }

  public static VbLoraGroupSettings paperDefaults() {
    return new VbLoraGroupSettings(new GroupHyperparameters(TrainingDefaults.LR_BANK, 0.0),
        new GroupHyperparameters(TrainingDefaults.LR_LOGITS, 0.0),
        new GroupHyperparameters(TrainingDefaults.LR_HEAD, TrainingDefaults.WEIGHT_DECAY));
  }

  /**
   * Parameter groups "bank", "logits" and "head" over the given variables; a group whose list is empty
   * is left out (e.g. no head when the task uses the model's own outputs).
   */
  public List<ParameterGroup> toGroups(List<ResourceVariable> bankVariables,
      List<ResourceVariable> logitsVariables, List<ResourceVariable> headVariables) {
    List<ParameterGroup> groups = new ArrayList<>();
    if (!bankVariables.isEmpty()) {
      groups.add(ParameterGroup.of("bank", bankVariables, bank));
    }
    if (!logitsVariables.isEmpty()) {
      groups.add(ParameterGroup.of("logits", logitsVariables, logits));
    }
    if (!headVariables.isEmpty()) {
      groups.add(ParameterGroup.of("head", headVariables, head));
    }
    return List.copyOf(groups);
  }

  public VbLoraGroupSettings withBank(GroupHyperparameters value) {
    return new VbLoraGroupSettings(value, logits, head);
  }

  public VbLoraGroupSettings withLogits(GroupHyperparameters value) {
    return new VbLoraGroupSettings(bank, value, head);
  }

  public VbLoraGroupSettings withHead(GroupHyperparameters value) {
    return new VbLoraGroupSettings(bank, logits, value);
  }
}

package dev.finetune.vblora.training.method;

import dev.finetune.vblora.model.AdaptedGraph;
import dev.finetune.vblora.model.AdapterVariable;
import dev.finetune.vblora.model.ResourceVariable;
import java.util.List;

/** The optimizer's view of an adapted graph's variables of one group. */
final class AdapterVariables {
  private AdapterVariables() {}

  /** The trainable variables of {@code group} (e.g. {@link AdapterVariable#BANK}), in creation order. */
  static List<ResourceVariable> of(AdaptedGraph adapted, String group) {
    return adapted.trainableVariables(group).stream()
        .map(v -> ResourceVariable.of(adapted.graph().operationOrThrow(v.name()))).toList();
  }
}

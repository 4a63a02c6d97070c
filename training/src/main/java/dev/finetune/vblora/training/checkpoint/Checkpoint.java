package dev.finetune.vblora.training.checkpoint;

import dev.finetune.vblora.training.variables.HostTensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A loaded checkpoint.
 *
 * @param tensors variable values by name (model, adapter, head and optimizer state)
 * @param state step, data position, seed and config
 */
public record Checkpoint(Map<String, HostTensor> tensors, TrainingState state) {

  public Checkpoint {
    tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
  }
}

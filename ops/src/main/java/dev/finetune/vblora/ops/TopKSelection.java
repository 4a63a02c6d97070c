package dev.finetune.vblora.ops;

import java.util.Objects;
import org.tensorflow.Operand;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TNumber;

/**
 * Which bank vectors each sub-vector mixes and with what weights: what PEFT stores with
 * save_only_topk_weights (its vblora_logits_*_topk_indices and, minus the last column, _topk_weights).
 *
 * @param indices {@code [..., k]}, largest logit first
 * @param weights {@code [..., k]}, softmax of the selected logits; each row sums to 1
 */
public record TopKSelection<T extends TNumber>(Operand<TInt32> indices, Operand<T> weights) {

  public TopKSelection {
    Objects.requireNonNull(indices, "indices");
    Objects.requireNonNull(weights, "weights");
  }
}

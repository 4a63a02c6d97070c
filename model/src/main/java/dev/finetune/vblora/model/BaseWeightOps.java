package dev.finetune.vblora.model;

import java.util.Objects;
import java.util.Optional;

/**
 * How an adapted graph fills its base weights when they are packed (see {@link PackedBaseWeights}).
 *
 * @param weights which base weights the serving path reads from packed variables
 * @param restoreOp restores the checkpoint straight into the packed variables and the other base variables
 *     ({@link PackedRestore}); empty when nothing is packed or the model's saver is not one it can follow
 * @param packOp moves the base variables' current values into the packed variables and frees them
 *     ({@link BaseWeightPacking#addPackOp}); empty when nothing is packed
 * @param bfloat16CopyOp fills the bfloat16 copies of the packed variables that a bfloat16 graph reads from their
 *     current values ({@link Bfloat16BaseWeights#addCopyOp}); run after each of the other two. Empty when there are
 *     no copies (a float32 graph, nothing packed)
 */
record BaseWeightOps(PackedBaseWeights weights, Optional<String> restoreOp, Optional<String> packOp,
    Optional<String> bfloat16CopyOp) {

  BaseWeightOps {
    Objects.requireNonNull(weights, "weights");
    Objects.requireNonNull(restoreOp, "restoreOp");
    Objects.requireNonNull(packOp, "packOp");
    Objects.requireNonNull(bfloat16CopyOp, "bfloat16CopyOp");
  }
}

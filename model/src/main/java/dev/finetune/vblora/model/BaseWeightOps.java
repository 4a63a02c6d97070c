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
 */
record BaseWeightOps(PackedBaseWeights weights, Optional<String> restoreOp, Optional<String> packOp) {

  BaseWeightOps {
    Objects.requireNonNull(weights, "weights");
    Objects.requireNonNull(restoreOp, "restoreOp");
    Objects.requireNonNull(packOp, "packOp");
  }
}

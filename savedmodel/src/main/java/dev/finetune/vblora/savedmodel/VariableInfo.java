package dev.finetune.vblora.savedmodel;

import java.util.List;
import org.tensorflow.proto.DataType;

/**
 * One tensor of a SavedModel's variables checkpoint, as listed in {@code variables/variables.index}.
 *
 * @param name the checkpoint key (TF1: the variable name; TF2: an object-graph path such as
 *     {@code layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE})
 * @param dtype element type
 * @param shape dimensions; empty for a scalar
 */
public record VariableInfo(String name, DataType dtype, List<Long> shape) {
  public VariableInfo {
    shape = List.copyOf(shape);
  }

  /** Number of elements. */
  public long size() {
    return shape.stream().mapToLong(Long::longValue).reduce(1L, Math::multiplyExact);
  }
}

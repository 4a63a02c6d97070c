package dev.finetune.vblora.ops;

import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TNumber;

/** The float types every op is tested in, with the tolerance of comparing them to float64 reference math. */
enum DType {
  FLOAT32(TFloat32.class, 2e-6),
  FLOAT64(TFloat64.class, 1e-12);

  final Class<? extends TNumber> type;
  /** Absolute tolerance for values of magnitude ~1 after a handful of operations. */
  final double tolerance;

  DType(Class<? extends TNumber> type, double tolerance) {
    this.type = type;
    this.tolerance = tolerance;
  }

  /** The type as the generic class the ops want; the cast is sound for the two constants above. */
  @SuppressWarnings("unchecked")
  <T extends TNumber> Class<T> type() {
    return (Class<T>) type;
  }
}

package dev.finetune.vblora.ops;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TNumber;

/**
 * The dense update s * down @ up, {@code [in, out]}, to add to a TF kernel when merging an adapter into the base
 * weights (PEFT's get_delta_weight, transposed: PEFT's delta is {@code [out, in]}).
 */
public final class DeltaWeight {
  private DeltaWeight() {}

  public static <T extends TNumber> Operand<T> of(Ops tf, LowRankFactors<T> f, double scaling) {
    StaticShapes.requireFactors(f);
    if (!Double.isFinite(scaling)) {
      throw new IllegalArgumentException("scaling must be finite, got " + scaling);
    }
    Ops scope = tf.withSubScope("delta_weight");
    // Scaling the [in, r] factor costs r/out of scaling the [in, out] product.
    Operand<T> down = scaling == 1 ? f.down() : scope.math.mul(f.down(), scope.constant(f.down().type(), scaling));
    return scope.linalg.matMul(down, f.up());
  }
}

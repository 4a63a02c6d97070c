package dev.finetune.vblora.ops;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TNumber;

/**
 * The adapted layer's output y = x W + s * (dropout(x) down) up, given the base output x W.
 *
 * <p>The same path serves VB-LoRA (composed factors, s = 1 as in PEFT) and LoRA (variable factors, s = alpha/r).
 * It never forms the {@code [in, out]} delta: two thin matmuls through rank r cost O(n r (in + out)). The
 * scaling is applied to the {@code [n, r]} intermediate, the smallest tensor on the path.
 */
public final class LowRankUpdate {
  private LowRankUpdate() {}

  /**
   * @param x {@code [..., in]}: 2-D, or N-D with leading batch dimensions (which may be unknown)
   * @param baseOutput {@code [..., out]} = x W, same leading dimensions as x
   * @param scaling s
   * @param dropout {@link AdapterDropout#none()} or a dropout on the adapter's input
   * @return {@code [..., out]}
   */
  public static <T extends TNumber> Operand<T> apply(Ops tf, Operand<T> x, Operand<T> baseOutput,
      LowRankFactors<T> f, double scaling, AdapterDropout dropout) {
    long[][] factorDims = StaticShapes.requireFactors(f);
    long[] down = factorDims[0];
    long[] up = factorDims[1];
    int rank = StaticShapes.requireRank(x, 1, "adapter input x");
    StaticShapes.requireRank(baseOutput, 1, "base output");
    requireLastDim(x, down[0], "adapter input x", "in_features of down " + StaticShapes.format(down));
    requireLastDim(baseOutput, up[1], "base output", "out_features of up " + StaticShapes.format(up));
    if (!Double.isFinite(scaling)) {
      throw new IllegalArgumentException("scaling must be finite, got " + scaling);
    }
    Ops scope = tf.withSubScope("low_rank_update");
    Operand<T> input = dropout.apply(scope, x);
    Operand<T> rows = rank == 2 ? input : scope.reshape(input, scope.constant(new long[] {-1, down[0]}));
    Operand<T> projected = scope.linalg.matMul(rows, f.down());                        // [n, r]
    if (scaling != 1) {
      projected = scope.math.mul(projected, scope.constant(x.type(), scaling));
    }
    Operand<T> update = scope.linalg.matMul(projected, f.up());                        // [n, out]
    if (rank != 2) {
      update = scope.reshape(update, scope.shape(baseOutput));
    }
    return scope.math.add(baseOutput, update);
  }

  private static void requireLastDim(Operand<?> operand, long expected, String what, String against) {
    long last = operand.shape().get(operand.shape().numDimensions() - 1);
    if (last != expected) {
      throw new IllegalArgumentException(what + " has shape " + StaticShapes.format(operand.shape())
          + "; its last dimension must be the " + against + ", " + expected);
    }
  }
}

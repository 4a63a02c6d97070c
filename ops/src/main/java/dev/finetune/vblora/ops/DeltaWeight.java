package dev.finetune.vblora.ops;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
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
    requireFinite(scaling);
    Ops scope = tf.withSubScope("delta_weight");
    return scope.linalg.matMul(scaled(scope, f.down(), scaling), f.up());
  }

  /**
   * The updates of many kernels, one per factor pair in the order given: the pairs of equal shape are stacked
   * and multiplied by ONE batched matmul (a BERT layer's q, k, v and output kernels share [768, 768]).
   *
   * <p>Why: a training step that forms its deltas (the merged update form) otherwise runs one tiny rank-r GEMM
   * per kernel forward and two more backward; on a GPU each is a kernel launch that costs more host time than
   * GPU time, and an all-linear BERT-base adapter has 72 kernels. Batched, it is three launches per shape.
   * The values are the same products; BatchMatMul, Pack and Unpack all have C++ gradients.
   */
  public static <T extends TNumber> List<Operand<T>> ofAll(Ops tf, List<LowRankFactors<T>> factors,
      double scaling) {
    requireFinite(scaling);
    Map<List<Long>, List<Integer>> byShape = new LinkedHashMap<>();
    for (int i = 0; i < factors.size(); i++) {
      LowRankFactors<T> f = factors.get(i);
      StaticShapes.requireFactors(f);
      Shape down = f.down().shape();
      byShape.computeIfAbsent(List.of(down.get(0), down.get(1), f.up().shape().get(1)), k -> new ArrayList<>())
          .add(i);
    }
    List<Operand<T>> deltas = new ArrayList<>(factors.size());
    factors.forEach(f -> deltas.add(null));
    Ops scope = tf.withSubScope("delta_weights");
    for (List<Integer> group : byShape.values()) {
      if (group.size() == 1) {
        int i = group.get(0);
        deltas.set(i, of(tf, factors.get(i), scaling));
        continue;
      }
      List<Operand<T>> downs = new ArrayList<>();
      List<Operand<T>> ups = new ArrayList<>();
      group.forEach(i -> {
        downs.add(factors.get(i).down());
        ups.add(factors.get(i).up());
      });
      Operand<T> down = scaled(scope, scope.stack(downs), scaling);                  // [n, in, r]
      Operand<T> up = scope.stack(ups);                                                // [n, r, out]
      Operand<T> products = scope.train.batchMatMul(down, up, down.type());           // [n, in, out]
      List<Operand<T>> parts = new ArrayList<>(scope.unstack(products, (long) group.size()).output());
      for (int j = 0; j < group.size(); j++) {
        deltas.set(group.get(j), parts.get(j));
      }
    }
    return deltas;
  }

  /** Scaling the [in, r] factor costs r/out of scaling the [in, out] product. */
  private static <T extends TNumber> Operand<T> scaled(Ops scope, Operand<T> down, double scaling) {
    return scaling == 1 ? down : scope.math.mul(down, scope.constant(down.type(), scaling));
  }

  private static void requireFinite(double scaling) {
    if (!Double.isFinite(scaling)) {
      throw new IllegalArgumentException("scaling must be finite, got " + scaling);
    }
  }
}

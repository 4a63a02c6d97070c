package dev.finetune.vblora.ops;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TNumber;

/**
 * Composes the factors of MANY layers with one admixture: every layer's A and B logits are concatenated into
 * one {@code [N, h]} tensor, which goes through ONE top-k, ONE bank gather and ONE weighted sum; the {@code [N, b]}
 * result is split back and reshaped into each layer's down and up.
 *
 * <p>Why: a model adapts dozens of kernels (72 for BERT-base all-linear); composing them one by one costs a
 * chain of small ops per kernel and factor (each with its own executor and oneDNN overhead), while the math is
 * row-independent. The rows are ordered so that the layout work is also shared:
 * <ul>
 *   <li>A: every layer's logits_A {@code [r, in_l/b, h]} concatenated along axis 1 into {@code [r, M, h]}.
 *       Composed to {@code [r, M, b]}, ONE transpose to {@code [M, b, r]} gives {@code [sum in_l, r]}, the
 *       downs of all layers stacked; a split along axis 0 hands each layer its {@code [in_l, r]}.</li>
 *   <li>B: every layer's logits_B {@code [out_l/b, r, h]} concatenated along axis 0 into {@code [O, r, h]}.
 *       Composed to {@code [O, r, b]}, ONE transpose to {@code [r, O, b]} gives {@code [r, sum out_l]}, the ups
 *       side by side; a split along axis 1 hands each layer its {@code [r, out_l]}.</li>
 * </ul>
 * This is PEFT's layout exactly (see {@link PerLayerFactorComposition}, the per-layer reference, which it equals
 * row for row), and the gradients follow through ConcatV2, SplitV and Transpose, which all have C++ gradients.
 */
public final class FusedFactorComposition {
  private FusedFactorComposition() {}

  /** One {@link LowRankFactors} per layer, in the order given. */
  public static <T extends TNumber> List<LowRankFactors<T>> compose(
      Ops tf, Operand<T> bank, List<LayerLogits<T>> layers, VbLoraDims dims) {
    FactorLayout.check(bank, layers, dims);
    Ops packing = tf.withSubScope("logits_packing");
    Operand<T> logitsA = concat(packing, layers.stream().map(LayerLogits::logitsA).toList(), 1);    // [r, M, h]
    Operand<T> logitsB = concat(packing, layers.stream().map(LayerLogits::logitsB).toList(), 0);    // [O, r, h]
    return composePacked(tf, bank, logitsA, logitsB, layers.stream().map(LayerLogits::shape).toList(), dims);
  }

  /**
   * As {@link #compose}, for logits that are already packed as it packs them: {@code logitsA} {@code [r, M, h]}
   * holds every layer's logits_A side by side along axis 1, {@code logitsB} {@code [O, r, h]} every layer's
   * logits_B one after the other along axis 0, both in the order of {@code layers}. A trainer keeps its logits
   * this way (one variable each for A and B) so that a step has two logits variables, not two per layer.
   *
   * @param layers the layers, in packing order; their shapes give the split sizes
   */
  public static <T extends TNumber> List<LowRankFactors<T>> composePacked(Ops tf, Operand<T> bank,
      Operand<T> logitsA, Operand<T> logitsB, List<LayerShape> layers, VbLoraDims dims) {
    FactorLayout.checkPacked(bank, logitsA, logitsB, layers, dims);
    Ops scope = tf.withSubScope("fused_composition");
    long h = dims.numVectors();
    long b = dims.vectorLength();
    long r = dims.rank();

    long[] inSizes = layers.stream().mapToLong(LayerShape::inFeatures).toArray();
    long[] outSizes = layers.stream().mapToLong(LayerShape::outFeatures).toArray();
    long inBlocks = sum(inSizes) / b;    // M
    long outBlocks = sum(outSizes) / b;  // O

    Operand<T> allLogits = scope.concat(List.of(
        scope.reshape(logitsA, scope.constant(new long[] {r * inBlocks, h})),
        scope.reshape(logitsB, scope.constant(new long[] {outBlocks * r, h}))), scope.constant(0));  // [N, h]

    Operand<T> composed = TopKAdmixture.mix(scope, allLogits, bank, dims.topk());                  // [N, b]
    List<Operand<T>> parts = split(scope, composed, new long[] {r * inBlocks, outBlocks * r}, 0);

    Operand<T> composedA = scope.reshape(parts.get(0), scope.constant(new long[] {r, inBlocks, b}));
    Operand<T> downs = scope.reshape(scope.linalg.transpose(composedA, scope.constant(new int[] {1, 2, 0})),
        scope.constant(new long[] {inBlocks * b, r}));                                              // [sum in, r]
    Operand<T> composedB = scope.reshape(parts.get(1), scope.constant(new long[] {outBlocks, r, b}));
    Operand<T> ups = scope.reshape(scope.linalg.transpose(composedB, scope.constant(new int[] {1, 0, 2})),
        scope.constant(new long[] {r, outBlocks * b}));                                             // [r, sum out]

    List<Operand<T>> down = split(scope, downs, inSizes, 0);
    List<Operand<T>> up = split(scope, ups, outSizes, 1);
    List<LowRankFactors<T>> factors = new ArrayList<>(layers.size());
    for (int i = 0; i < layers.size(); i++) {
      factors.add(new LowRankFactors<>(down.get(i), up.get(i)));
    }
    return factors;
  }

  /** ConcatV2 needs at least two inputs; one layer passes through. */
  private static <T extends TNumber> Operand<T> concat(Ops tf, List<Operand<T>> values, int axis) {
    return values.size() == 1 ? values.get(0) : tf.concat(values, tf.constant(axis));
  }

  private static <T extends TNumber> List<Operand<T>> split(Ops tf, Operand<T> value, long[] sizes, int axis) {
    if (sizes.length == 1) {
      return List.of(value);
    }
    return new ArrayList<>(tf.splitV(value, tf.constant(sizes), tf.constant(axis), (long) sizes.length).output());
  }

  private static long sum(long[] values) {
    long total = 0;
    for (long v : values) {
      total += v;
    }
    return total;
  }
}

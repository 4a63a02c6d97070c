package dev.finetune.vblora.ops;

import static dev.finetune.vblora.ops.TopKAdmixtureTest.assertGradientMatches;

import dev.finetune.vblora.ops.testing.GraphRunner;
import dev.finetune.vblora.ops.testing.TestArrays;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat64;

/**
 * Gradients of the compositions (float64) agree with central differences, w.r.t. the bank and every layer's
 * logits. Logits have clear gaps between ranks, so that the top-k choice cannot flip within eps.
 */
class CompositionGradientTest {

  static Stream<Arguments> compositions() {
    return Stream.of(Arguments.of("fused", FactorCompositionTest.FUSED),
        Arguments.of("per-layer", FactorCompositionTest.PER_LAYER));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("compositions")
  void factorGradientsMatchFiniteDifferences(String name, FactorCompositionTest.Composition composition) {
    VbLoraDims dims = new VbLoraDims(5, 2, 2, 2);
    List<LayerShape> layers = List.of(new LayerShape("q", 4, 6), new LayerShape("ffn", 2, 4));
    try (GraphRunner g = new GraphRunner()) {
      Operand<TFloat64> bank = g.input(TFloat64.class, dims.bankShape(), TestArrays.uniform(1, 10, -1, 1));
      List<LayerLogits<TFloat64>> logits = separatedLogits(g, dims, layers, 2);
      List<LowRankFactors<TFloat64>> factors = composition.compose(g.tf(), bank, logits, dims);
      Operand<TFloat64> loss = weightedFactorSum(g, factors, 3);
      assertGradientMatches(g, loss, bank, name + " bank");
      for (LayerLogits<TFloat64> l : logits) {
        assertGradientMatches(g, loss, l.logitsA(), name + " logits_A of " + l.shape().name());
        assertGradientMatches(g, loss, l.logitsB(), name + " logits_B of " + l.shape().name());
      }
    }
  }

  /** Logits inputs whose top-k choice is stable under small perturbations. */
  static List<LayerLogits<TFloat64>> separatedLogits(GraphRunner g, VbLoraDims dims, List<LayerShape> layers,
      long seed) {
    List<LayerLogits<TFloat64>> logits = new ArrayList<>();
    int h = dims.numVectors();
    for (LayerShape s : layers) {
      long[] a = dims.logitsAShape(s);
      long[] b = dims.logitsBShape(s);
      logits.add(new LayerLogits<>(s,
          g.input(TFloat64.class, a, TestArrays.separatedLogits(seed++, (int) (a[0] * a[1]), h, 0.4)),
          g.input(TFloat64.class, b, TestArrays.separatedLogits(seed++, (int) (b[0] * b[1]), h, 0.4))));
    }
    return logits;
  }

  /** sum over layers of sum(down * C) + sum(up * C') with random C: every factor entry has its own weight. */
  static Operand<TFloat64> weightedFactorSum(GraphRunner g, List<LowRankFactors<TFloat64>> factors, long seed) {
    Ops tf = g.tf();
    List<Operand<TFloat64>> terms = new ArrayList<>();
    for (LowRankFactors<TFloat64> f : factors) {
      for (Operand<TFloat64> factor : List.of(f.down(), f.up())) {
        long[] shape = GraphRunner.staticShape(factor);
        Operand<TFloat64> c = g.input(TFloat64.class, shape, TestArrays.uniform(seed++, (int) TestArrays.size(shape),
            -1, 1));
        terms.add(tf.sum(tf.math.mul(factor, c), tf.constant(new int[] {0, 1})));
      }
    }
    return tf.math.addN(terms);
  }
}

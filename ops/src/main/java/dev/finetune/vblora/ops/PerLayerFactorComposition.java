package dev.finetune.vblora.ops;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TNumber;

/**
 * Composes each layer's factors on its own: one top-k admixture per layer and factor, as PEFT's layer does.
 * The straightforward reference for {@link FusedFactorComposition} and the baseline of its benchmark.
 */
public final class PerLayerFactorComposition {
  private PerLayerFactorComposition() {}

  /** One {@link LowRankFactors} per layer, in the order given. */
  public static <T extends TNumber> List<LowRankFactors<T>> compose(
      Ops tf, Operand<T> bank, List<LayerLogits<T>> layers, VbLoraDims dims) {
    FactorLayout.check(bank, layers, dims);
    Ops scope = tf.withSubScope("per_layer_composition");
    List<LowRankFactors<T>> factors = new ArrayList<>(layers.size());
    for (LayerLogits<T> layer : layers) {
      Operand<T> composedA = TopKAdmixture.mix(scope, layer.logitsA(), bank, dims.topk());   // [r, in/b, b]
      Operand<T> composedB = TopKAdmixture.mix(scope, layer.logitsB(), bank, dims.topk());   // [out/b, r, b]
      factors.add(new LowRankFactors<>(
          FactorLayout.down(scope, composedA, layer.shape(), dims),
          FactorLayout.up(scope, composedB, layer.shape(), dims)));
    }
    return factors;
  }
}

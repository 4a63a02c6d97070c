package dev.finetune.vblora.ops;

import static dev.finetune.vblora.ops.testing.TestArrays.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.bench.BertBaseLayers;
import dev.finetune.vblora.ops.testing.GraphRunner;
import dev.finetune.vblora.ops.testing.ReferenceVbLora;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tensorflow.Operand;
import org.tensorflow.types.family.TNumber;

/** For a whole BERT-base (72 kernels, all linear maps), the fused composition equals the per-layer one. */
class FusedMatchesPerLayerTest {

  @ParameterizedTest
  @EnumSource(DType.class)
  <T extends TNumber> void bertBaseAllLinearFusedEqualsPerLayer(DType dtype) {
    VbLoraDims dims = new VbLoraDims(90, 256, 4, 2);
    List<LayerShape> layers = BertBaseLayers.allLinear();
    assertEquals(72, layers.size());
    int[][] sizes = layers.stream().map(s -> new int[] {s.inFeatures(), s.outFeatures()}).toArray(int[][]::new);
    FactorCompositionTest.Problem p = FactorCompositionTest.Problem.random(dims, sizes, 5);
    try (GraphRunner g = new GraphRunner()) {
      Class<T> type = dtype.type();
      Operand<T> bank = p.bankInput(g, type);
      List<LayerLogits<T>> logits = p.logitsInputs(g, type);
      List<LowRankFactors<T>> fused = FusedFactorComposition.compose(g.tf(), bank, logits, dims);
      List<LowRankFactors<T>> perLayer = PerLayerFactorComposition.compose(g.tf(), bank, logits, dims);
      List<Operand<T>> fetches = new ArrayList<>();
      for (int i = 0; i < layers.size(); i++) {
        fetches.addAll(List.of(fused.get(i).down(), fused.get(i).up(), perLayer.get(i).down(), perLayer.get(i).up()));
      }
      List<double[]> values = g.run(fetches);
      double worst = 0;
      for (int i = 0; i < layers.size(); i++) {
        worst = Math.max(worst, maxAbsDiff(values.get(4 * i), values.get(4 * i + 2)));
        worst = Math.max(worst, maxAbsDiff(values.get(4 * i + 1), values.get(4 * i + 3)));
      }
      assertTrue(worst <= 1e-6, "max |fused - per-layer| = " + worst);
      // And both are right, not merely equal: spot-check the first and last layers against the reference.
      for (int i : new int[] {0, layers.size() - 1}) {
        ReferenceVbLora.Factors expected = p.reference(i);
        assertTrue(maxAbsDiff(expected.down(), values.get(4 * i)) <= dtype.tolerance, "down of layer " + i);
        assertTrue(maxAbsDiff(expected.up(), values.get(4 * i + 1)) <= dtype.tolerance, "up of layer " + i);
      }
    }
  }
}

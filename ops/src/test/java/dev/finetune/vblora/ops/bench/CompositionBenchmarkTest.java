package dev.finetune.vblora.ops.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.LayerShape;
import dev.finetune.vblora.ops.VbLoraDims;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmark runs end to end on a small model and reports what it measured; no timing is asserted. */
class CompositionBenchmarkTest {
  private static final List<LayerShape> LAYERS = List.of(new LayerShape("q", 16, 16), new LayerShape("ffn_in", 16, 64),
      new LayerShape("ffn_out", 64, 16), new LayerShape("v", 16, 16));

  @Test
  void timesBothVariantsForwardAndBackward() {
    CompositionBenchmark.Options options = new CompositionBenchmark.Options(new VbLoraDims(6, 8, 2, 2), LAYERS, 1, 3,
        true, 1, 7);
    CompositionBenchmark.Result r = CompositionBenchmark.run(options);
    assertEquals(2 * (16 + 16 + 16 + 64 + 64 + 16 + 16 + 16) / 8, r.subVectors());
    for (CompositionBenchmark.Timing t : List.of(r.fusedForward(), r.perLayerForward(), r.fusedBackward(),
        r.perLayerBackward())) {
      assertTrue(t.minMs() > 0 && t.minMs() <= t.medianMs() && t.medianMs() <= t.maxMs(), t.toString());
    }
    assertTrue(r.fusedOps() < r.perLayerOps(), "fused builds fewer ops: " + r.fusedOps() + " vs " + r.perLayerOps());
    assertTrue(r.forwardSpeedup() > 0 && r.backwardSpeedup() > 0);
    String table = CompositionBenchmark.format(r);
    assertTrue(table.contains("per-layer") && table.contains("fused") && table.contains("speed-up"), table);
  }

  @Test
  void forwardOnlyLeavesTheBackwardColumnsEmpty() {
    CompositionBenchmark.Result r = CompositionBenchmark.run(new CompositionBenchmark.Options(
        new VbLoraDims(4, 8, 1, 1), LAYERS.subList(0, 1), 0, 1, false, 0, 1));
    assertNull(r.fusedBackward());
    assertTrue(Double.isNaN(r.backwardSpeedup()));
  }

  @Test
  void bertBaseDefaultsAreThePapersGlueSizes() {
    CompositionBenchmark.Options o = CompositionBenchmark.Options.bertBaseAllLinear();
    assertEquals(new VbLoraDims(90, 256, 4, 2), o.dims());
    assertEquals(72, o.layers().size());
    assertThrows(IllegalArgumentException.class, () -> o.withRuns(0, 0));
  }
}

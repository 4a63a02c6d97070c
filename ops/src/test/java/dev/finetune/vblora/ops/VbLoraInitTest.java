package dev.finetune.vblora.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.testing.GraphRunner;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/** PEFT's VB-LoRA init: bank ~ U(-bound, bound), logits ~ N(0, std^2), reproducible per seed and tensor. */
class VbLoraInitTest {
  private static final VbLoraDims DIMS = new VbLoraDims(90, 256, 4, 2);
  private static final LayerShape Q = new LayerShape("q", 768, 768);
  private static final LayerShape V = new LayerShape("v", 768, 768);

  @Test
  void bankIsUniformWithinTheBound() {
    try (GraphRunner g = new GraphRunner()) {
      double[] bank = g.run(VbLoraInit.bank(g.tf(), DIMS, 0.02, 1, TFloat32.class));
      assertEquals(90 * 256, bank.length);
      assertTrue(Arrays.stream(bank).allMatch(v -> Math.abs(v) <= 0.02), "within +-0.02");
      // U(-a, a) has mean 0 and variance a^2 / 3; 23,040 draws pin both down to a few percent.
      double mean = Arrays.stream(bank).average().orElseThrow();
      double variance = Arrays.stream(bank).map(v -> (v - mean) * (v - mean)).average().orElseThrow();
      assertEquals(0, mean, 0.0005);
      assertEquals(0.02 * 0.02 / 3, variance, 0.05 * 0.02 * 0.02 / 3);
    }
  }

  @Test
  void logitsAreNormalWithTheGivenStdAndDifferPerLayerAndFactor() {
    try (GraphRunner g = new GraphRunner()) {
      Ops tf = g.tf();
      var qa = VbLoraInit.logitsA(tf, Q, DIMS, 0.1, 3, TFloat32.class);
      assertArrayEquals(DIMS.logitsAShape(Q), GraphRunner.staticShape(qa));
      assertArrayEquals(DIMS.logitsBShape(Q), GraphRunner.staticShape(VbLoraInit.logitsB(tf, Q, DIMS, 0.1, 3,
          TFloat32.class)));
      List<double[]> v = g.run(List.of(qa, VbLoraInit.logitsA(tf, Q, DIMS, 0.1, 3, TFloat32.class),
          VbLoraInit.logitsA(tf, V, DIMS, 0.1, 3, TFloat32.class), VbLoraInit.logitsB(tf, Q, DIMS, 0.1, 3,
              TFloat32.class)));
      double[] a = v.get(0);
      double std = Math.sqrt(Arrays.stream(a).map(x -> x * x).average().orElseThrow());
      assertEquals(0.1, std, 0.005, "standard deviation over 1,080 draws");
      assertArrayEquals(a, v.get(1), "same seed, same tensor: same values");
      assertFalse(Arrays.equals(a, v.get(2)), "another layer");
      assertFalse(Arrays.equals(a, Arrays.copyOf(v.get(3), a.length)), "logits_B of the same layer");
    }
  }

  @Test
  void rejectsNonPositiveSpreads() {
    try (GraphRunner g = new GraphRunner()) {
      assertThrows(IllegalArgumentException.class, () -> VbLoraInit.bank(g.tf(), DIMS, 0, 1, TFloat32.class));
      assertThrows(IllegalArgumentException.class, () -> VbLoraInit.logitsA(g.tf(), Q, DIMS, -0.1, 1, TFloat32.class));
    }
  }
}

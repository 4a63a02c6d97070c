package dev.finetune.vblora.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Configs fail early, naming the value and what to do. */
class DimsValidationTest {

  @Test
  void logitsShapesFollowPeft() {
    VbLoraDims dims = new VbLoraDims(90, 256, 4, 2);
    LayerShape ffnIn = new LayerShape("ffn_in", 768, 3072);
    assertArrayEquals(new long[] {4, 3, 90}, dims.logitsAShape(ffnIn));
    assertArrayEquals(new long[] {12, 4, 90}, dims.logitsBShape(ffnIn));
    assertArrayEquals(new long[] {90, 256}, dims.bankShape());
    assertEquals(4 * 3 + 12 * 4, dims.subVectorCount(ffnIn));
  }

  @Test
  void indivisibleSizesAreNamedWithTheLayer() {
    VbLoraDims dims = new VbLoraDims(90, 256, 4, 2);
    IllegalArgumentException in = assertThrows(IllegalArgumentException.class,
        () -> dims.checkDivisible(new LayerShape("X", 770, 768)));
    assertTrue(in.getMessage().startsWith("in_features 770 of layer X is not divisible by vector_length 256"),
        in.getMessage());
    IllegalArgumentException out = assertThrows(IllegalArgumentException.class,
        () -> dims.logitsBShape(new LayerShape("Y", 768, 100)));
    assertTrue(out.getMessage().startsWith("out_features 100 of layer Y is not divisible by vector_length 256"),
        out.getMessage());
  }

  @ParameterizedTest(name = "h={0} b={1} r={2} k={3}: {4}")
  @CsvSource({
      "0, 256, 4, 2, num_vectors",
      "90, 0, 4, 2, vector_length",
      "90, 256, 0, 2, r",
      "90, 256, 4, 0, topk",
      "4, 256, 4, 5, topk 5 exceeds num_vectors 4",
  })
  void vbLoraDimsRejectImpossibleSizes(int h, int b, int r, int k, String mentioned) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new VbLoraDims(h, b, r, k));
    assertTrue(e.getMessage().contains(mentioned), e.getMessage());
  }

  @Test
  void layerShapesMustBePositiveAndNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LayerShape("q", 0, 768));
    assertTrue(e.getMessage().contains("layer q") && e.getMessage().contains("[0, 768]"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new LayerShape(" ", 768, 768));
    assertArrayEquals(new long[] {768, 3072}, new LayerShape("ffn", 768, 3072).kernelShape());
  }
}

package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.LayerShape;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Where each kernel's logits lie in the packed variables, and cutting them out. */
class PackedLogitsLayoutTest {

  @Test
  void kernelsArePackedInOrderInBlocksOfTheVectorLength() {
    PackedLogitsLayout layout = PackedLogitsLayout.of("v/logits_A", "v/logits_B",
        List.of(new LayerShape("q", 8, 4), new LayerShape("ffn", 4, 12)), 4);
    assertEquals(List.of("q", "ffn"), layout.kernels());
    assertEquals(new LogitsSlice("q", "v/logits_A", 1, 0, 2), layout.a("q"));
    assertEquals(new LogitsSlice("ffn", "v/logits_A", 1, 2, 1), layout.a("ffn"));
    assertEquals(new LogitsSlice("q", "v/logits_B", 0, 0, 1), layout.b("q"));
    assertEquals(new LogitsSlice("ffn", "v/logits_B", 0, 1, 3), layout.b("ffn"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> layout.a("key"));
    assertTrue(e.getMessage().contains("kernel key") && e.getMessage().contains("[q, ffn]"), e.getMessage());
  }

  @Test
  void aSliceCutsItsBlocksAlongItsAxisKeepingTheOtherAxesWhole() {
    float[] packed = new float[12];   // [2, 3, 2], value = index
    for (int i = 0; i < packed.length; i++) {
      packed[i] = i;
    }
    long[] shape = {2, 3, 2};
    LogitsSlice middle = new LogitsSlice("k", "v", 1, 1, 2);
    assertArrayEquals(new long[] {2, 2, 2}, middle.shape(shape));
    assertArrayEquals(new float[] {2, 3, 4, 5, 8, 9, 10, 11}, middle.cut(packed, shape));
    assertArrayEquals(new float[] {6, 7, 8, 9, 10, 11}, new LogitsSlice("k", "v", 0, 1, 1).cut(packed, shape));
    assertArrayEquals(new float[] {1, 3, 5, 7, 9, 11}, new LogitsSlice("k", "v", 2, 1, 1).cut(packed, shape));
    IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
        () -> new LogitsSlice("k", "v", 1, 2, 2).cut(packed, shape));
    assertTrue(outside.getMessage().contains("lie outside v of shape [2, 3, 2]"), outside.getMessage());
    assertThrows(IllegalArgumentException.class, () -> middle.cut(new float[11], shape));
  }

  @Test
  void aLayoutMustFillOneVariableInOrderWithTheSameKernelsForAAndB() {
    LogitsSlice a0 = new LogitsSlice("q", "A", 1, 0, 2);
    LogitsSlice a1 = new LogitsSlice("v", "A", 1, 2, 1);
    LogitsSlice b0 = new LogitsSlice("q", "B", 0, 0, 1);
    LogitsSlice b1 = new LogitsSlice("v", "B", 0, 1, 1);
    assertEquals(List.of("q", "v"), new PackedLogitsLayout(List.of(a0, a1), List.of(b0, b1)).kernels());
    IllegalArgumentException gap = assertThrows(IllegalArgumentException.class,
        () -> new PackedLogitsLayout(List.of(a0, new LogitsSlice("v", "A", 1, 3, 1)), List.of(b0, b1)));
    assertTrue(gap.getMessage().contains("do not follow"), gap.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new PackedLogitsLayout(List.of(a0, new LogitsSlice("v", "other", 1, 2, 1)), List.of(b0, b1)));
    IllegalArgumentException order = assertThrows(IllegalArgumentException.class,
        () -> new PackedLogitsLayout(List.of(a0, a1), List.of(new LogitsSlice("v", "B", 0, 0, 1),
            new LogitsSlice("q", "B", 0, 1, 1))));
    assertTrue(order.getMessage().contains("same kernels in the same order"), order.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new PackedLogitsLayout(List.of(), List.of()));
    assertThrows(IllegalArgumentException.class, () -> new LogitsSlice("q", "A", 1, 0, 0));
  }
}

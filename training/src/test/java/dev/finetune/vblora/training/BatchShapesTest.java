package dev.finetune.vblora.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which lengths a run pads to: one with XLA (one compilation), the doubling buckets without. */
class BatchShapesTest {
  @Test
  void autoIsOneBucketFittingTheDataWithXlaAndDoublingBucketsWithout() {
    assertArrayEquals(new int[] {56}, BatchShapes.buckets("auto", true, 64, 53).lengths());
    assertArrayEquals(new int[] {16, 32, 64}, BatchShapes.buckets("auto", false, 64, 53).lengths());
    assertArrayEquals(new int[] {128}, BatchShapes.buckets("longest", false, 128, 127).lengths());
    assertArrayEquals(new int[] {16, 32, 64, 128}, BatchShapes.buckets("DOUBLING", true, 128, 20).lengths());
    assertArrayEquals(new int[] {32, 128}, BatchShapes.buckets("32", true, 128, 20).lengths());
  }

  @Test
  void aBadChoiceNamesTheOptionAndTheChoices() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> BatchShapes.buckets("shortest", true, 64, 10));
    assertTrue(e.getMessage().contains("lengthBuckets shortest") && e.getMessage().contains("auto, longest"),
        e.getMessage());
  }
}

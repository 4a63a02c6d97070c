package dev.finetune.vblora.data.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Batches pad to the smallest of a few lengths: 16, 32, 64... capped at the max length. */
class LengthBucketsTest {
  @Test
  void doublesFromSixteenUpToTheMaxLength() {
    assertArrayEquals(new int[] {16, 32, 64, 128}, LengthBuckets.upTo(128).lengths());
    assertArrayEquals(new int[] {16, 32, 64, 100}, LengthBuckets.upTo(100).lengths());
    assertArrayEquals(new int[] {16}, LengthBuckets.upTo(16).lengths());
    assertArrayEquals(new int[] {8}, LengthBuckets.upTo(8).lengths());
  }

  @ParameterizedTest(name = "{0} tokens -> {1}")
  @CsvSource({"1, 16", "16, 16", "17, 32", "33, 64", "65, 100", "100, 100"})
  void padsToTheSmallestBucketThatHolds(int length, int padded) {
    assertEquals(padded, LengthBuckets.upTo(100).paddedLength(length));
  }

  @Test
  void refusesSequencesLongerThanTheLargestBucket() {
    assertThrows(IllegalArgumentException.class, () -> LengthBuckets.upTo(100).paddedLength(101));
  }

  @Test
  void customBucketsAreSortedAndDeduplicated() {
    assertArrayEquals(new int[] {8, 24, 48}, LengthBuckets.of(48, 8, 24, 8).lengths());
    assertThrows(IllegalArgumentException.class, () -> LengthBuckets.of(0, 8));
    assertThrows(IllegalArgumentException.class, LengthBuckets::of);
  }
}

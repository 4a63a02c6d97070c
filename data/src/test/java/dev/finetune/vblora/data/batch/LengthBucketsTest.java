package dev.finetune.vblora.data.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

  @ParameterizedTest(name = "longest {0}, max {1} -> one bucket of {2}")
  @CsvSource({"1, 128, 8", "8, 128, 8", "9, 128, 16", "61, 64, 64", "66, 128, 72", "127, 128, 128", "50, 50, 50",
      "49, 50, 50"})
  void oneBucketFitsTheLongestExampleRoundedUpToAMultipleOfEight(int longest, int maxLength, int bucket) {
    assertArrayEquals(new int[] {bucket}, LengthBuckets.fitting(longest, maxLength, 8).lengths());
  }

  @Test
  void bucketsAsAUserWritesThemAlwaysIncludeTheMaxLength() {
    assertArrayEquals(new int[] {32, 64}, LengthBuckets.parse("32", 64).lengths());
    assertArrayEquals(new int[] {16, 32, 64}, LengthBuckets.parse(" 32,16 ,64", 64).lengths());
    IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
        () -> LengthBuckets.parse("32,100", 64));
    assertTrue(tooLong.getMessage().contains("100") && tooLong.getMessage().contains("64"), tooLong.getMessage());
    assertThrows(IllegalArgumentException.class, () -> LengthBuckets.parse("32,x", 64));
    assertThrows(IllegalArgumentException.class, () -> LengthBuckets.parse("0", 64));
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

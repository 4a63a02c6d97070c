package dev.finetune.vblora.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Seeded orders are permutations that depend on (seed, stream) alone. */
class SeededPermutationTest {
  @Test
  void theGeneratorIsTheReferenceSplitMix64() {
    // the first outputs of splitmix64.c (Vigna) seeded with 1234567
    SplitMix64 random = new SplitMix64(1234567L);
    for (String expected : new String[] {"6457827717110365317", "3203168211198807973", "9817491932198370423",
        "4593380528125082431", "16408922859458223821"}) {
      assertEquals(Long.parseUnsignedLong(expected), random.nextLong());
    }
  }

  @Test
  void boundedDrawsStayInRangeAndCoverIt() {
    SplitMix64 random = new SplitMix64(7);
    int[] seen = new int[7];
    for (int i = 0; i < 7000; i++) {
      seen[random.nextInt(7)]++;
    }
    assertTrue(Arrays.stream(seen).allMatch(c -> c > 800 && c < 1200), Arrays.toString(seen));
  }

  @Test
  void isAPermutation() {
    int[] p = SeededPermutation.of(1000, 42, 3);
    assertArrayEquals(SeededPermutation.identity(1000), Arrays.stream(p).sorted().toArray());
    assertFalse(Arrays.equals(SeededPermutation.identity(1000), p));
  }

  @Test
  void sameSeedAndStreamSameOrderOtherwiseAnother() {
    assertArrayEquals(SeededPermutation.of(100, 42, 3), SeededPermutation.of(100, 42, 3));
    assertFalse(Arrays.equals(SeededPermutation.of(100, 42, 3), SeededPermutation.of(100, 42, 4)));
    assertFalse(Arrays.equals(SeededPermutation.of(100, 42, 3), SeededPermutation.of(100, 43, 3)));
  }

  @Test
  void shufflingInPlaceMatchesTheFreshPermutation() {
    int[] items = SeededPermutation.identity(50);
    SeededPermutation.shuffle(items, 9, 1);
    assertArrayEquals(SeededPermutation.of(50, 9, 1), items);
  }
}

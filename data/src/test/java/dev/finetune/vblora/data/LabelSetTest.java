package dev.finetune.vblora.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Class ids are fixed by the label names alone, and survive a save/load round trip. */
class LabelSetTest {
  @Test
  void integerLabelsAreOrderedNumerically() {
    assertEquals(List.of("-1", "0", "2", "10"), LabelSet.of(List.of("10", "2", "0", "-1", "2")).names());
  }

  @Test
  void namesAreOrderedByCodeUnits() {
    assertEquals(List.of("Neutral", "negative", "positive"),
        LabelSet.of(List.of("positive", "negative", "Neutral", "positive")).names());
  }

  @Test
  void mixedNamesAndNumbersAreOrderedAsNames() {
    assertEquals(List.of("0", "1", "10", "9", "none"), LabelSet.of(List.of("9", "10", "none", "1", "0")).names());
  }

  /** pandas reads 1 and 1.0 as one float, and Python's {1, 1.0} has one element: one class, not two. */
  @Test
  void spellingsOfOneWholeNumberAreOneClassNamedByItsInteger() {
    assertEquals(List.of("0", "1"), LabelSet.of(List.of("1", "0.0", "1.0", "0", "+1")).names());
    assertEquals(List.of("0", "1"), LabelSet.of(List.of("1.0", "0.0")).names());
    assertEquals(List.of("-2", "-1", "2", "10"), LabelSet.of(List.of("-2.0", "-1.0", "10.0", "2.0")).names());
  }

  /** Codes with leading zeros and decimals are usually kept apart on purpose (sections 1.1 and 1.10, codes 01, 1). */
  @Test
  void codesWithLeadingZerosAndDecimalsStayClassesOfTheirOwn() {
    assertEquals(List.of("001", "01", "1"), LabelSet.of(List.of("01", "1", "001")).names());
    assertEquals(List.of("1.1", "1.10", "2"), LabelSet.of(List.of("1.1", "1.10", "2")).names());
    assertEquals(List.of("2.5", "2.50", "neutral"), LabelSet.of(List.of("2.50", "2.5", "neutral")).names());
  }

  @Test
  void aNumberFindsTheClassOfTheSameValue() {
    LabelSet integers = LabelSet.of(List.of("0", "1"));
    assertEquals(1, integers.idOf("1.0").getAsInt());
    assertEquals(0, integers.idOf("0.00").getAsInt());
    assertEquals(false, integers.idOf("1.5").isPresent());
    assertEquals(false, integers.idOf("01").isPresent(), "a code, not the number");
    LabelSet savedAsFloats = LabelSet.inOrder(List.of("0.0", "1.0"));
    assertEquals(1, savedAsFloats.idOf("1").getAsInt());
    LabelSet savedWithBothSpellings = LabelSet.inOrder(List.of("1", "1.0"));
    assertEquals(1, savedWithBothSpellings.idOf("1.0").getAsInt());
    assertEquals(false, savedWithBothSpellings.idOf("1.00").isPresent(), "two classes of that value: neither");
  }

  @Test
  void exponentsStayNames() {
    assertEquals(List.of("1e999"), LabelSet.of(List.of("1e999")).names());
    assertEquals(List.of("1e2147483647"), LabelSet.of(List.of("1e2147483647")).names());
    assertEquals(List.of("100000", "1e5"), LabelSet.of(List.of("1e5", "100000")).names());
  }

  @Test
  void theOrderDoesNotDependOnTheDataOrder() {
    assertEquals(LabelSet.of(List.of("b", "a", "c")), LabelSet.of(List.of("c", "b", "a", "a")));
  }

  @Test
  void mapsNamesAndIdsBothWays() {
    LabelSet labels = LabelSet.of(List.of("pos", "neg"));
    assertEquals(1, labels.idOf("pos").getAsInt());
    assertEquals("neg", labels.name(0));
    assertEquals(false, labels.idOf("other").isPresent());
    assertThrows(IllegalArgumentException.class, () -> labels.name(2));
  }

  @Test
  void savesAndLoadsInIdOrder(@TempDir Path dir) throws IOException {
    LabelSet labels = LabelSet.inOrder(List.of("z", "say \"a\"", "ü"));
    Path file = dir.resolve("out/labels.json");
    labels.save(file);
    assertEquals(labels, LabelSet.load(file));
  }

  @Test
  void refusesDuplicatesAndEmptyNames() {
    assertThrows(IllegalArgumentException.class, () -> LabelSet.inOrder(List.of("a", "a")));
    assertThrows(IllegalArgumentException.class, () -> LabelSet.inOrder(List.of("a", "")));
    assertThrows(IllegalArgumentException.class, () -> LabelSet.fromJson("{\"labels\": [1, 2]}"));
  }
}

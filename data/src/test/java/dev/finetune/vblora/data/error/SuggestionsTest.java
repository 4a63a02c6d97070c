package dev.finetune.vblora.data.error;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class SuggestionsTest {
  private static final List<String> OPTIONS = List.of("--epochs", "--max-steps", "--lr-bank", "--lr-head",
      "--lr-logits", "--lr-lora", "--out");

  @Test
  void slipsOfAFewLettersFindTheOption() {
    assertEquals(List.of("--epochs"), Suggestions.of("--epoch", OPTIONS));
    assertEquals(List.of("--max-steps"), Suggestions.of("--max-setps=3", OPTIONS), "a swap is one edit");
    assertEquals(List.of("--warmup-ratio", "--warmup-rate"), Suggestions.of("--warmup-ratoi",
        List.of("--warmup", "--warmup-rate", "--warmup-ratio")), "nearest first");
  }

  @Test
  void farOffWordsAndShortOnesGetNoGuess() {
    assertEquals(List.of(), Suggestions.of("--learning-rate", OPTIONS));
    assertEquals(List.of(), Suggestions.of("--in", OPTIONS), "two letters may be one edit from --out, no more");
  }

  @Test
  void editDistanceCountsASwapAsOne() {
    assertEquals(1, Suggestions.distance("trian", "train"));
    assertEquals(3, Suggestions.distance("kitten", "sitting"));
    assertEquals(0, Suggestions.distance("", ""));
  }
}

package dev.finetune.vblora.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.data.batch.EncodedDataset;
import dev.finetune.vblora.data.batch.EncodedExample;
import java.util.Collections;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What train and eval say about examples cut to the maximum length, counted from the encoded data. */
class TruncationWarningTest {

  /** {@code size} examples of {@code maxLength} tokens each, {@code cut} of them counted as truncated. */
  private static EncodedDataset encoded(int size, int cut, int maxLength) {
    EncodedExample example = new EncodedExample(new int[maxLength], new int[maxLength], 0f);
    return new EncodedDataset(Task.REGRESSION, null, maxLength, 0, Collections.nCopies(size, example), cut,
        0, 0);
  }

  @Test
  void dataThatFitsSaysNothing() {
    assertEquals(Optional.empty(), TruncationWarning.forTraining(encoded(10, 0, 8), encoded(4, 0, 8), false));
    assertEquals(Optional.empty(), TruncationWarning.forEvaluation(encoded(4, 0, 8), false));
  }

  @Test
  void trainingCountsBothSetsAndSaysHowToKeepMore() {
    String warning = TruncationWarning.forTraining(encoded(100, 3, 64), encoded(10, 1, 64), false).orElseThrow();
    assertTrue(warning.startsWith("3 of the 100 training examples and 1 of the 10 validation examples are longer"
        + " than the maximum length, 64 tokens, and were cut to it"), warning);
    assertTrue(warning.contains("raise the maximum length (--max-length; maxLength in Java)"), warning);
  }

  @Test
  void oneCutExampleIsSingular() {
    assertTrue(TruncationWarning.forTraining(encoded(100, 1, 64), encoded(10, 0, 64), false).orElseThrow()
        .startsWith("1 of the 100 training examples is longer than the maximum length, 64 tokens, and was cut"));
    assertTrue(TruncationWarning.forTraining(encoded(100, 0, 64), encoded(10, 1, 64), false).orElseThrow()
        .startsWith("1 of the 10 validation examples is longer"));
    String scored = TruncationWarning.forEvaluation(encoded(5, 1, 64), false).orElseThrow();
    assertTrue(scored.startsWith("1 of the 5 examples is longer than the maximum length, 64 tokens, and was cut to it"
        + " and scored on what was kept ("), scored);
  }

  /** A signature traced at a fixed length cannot take more, so raising --max-length is not offered. */
  @Test
  void aLengthTheModelFixesPointsToAnotherExport() {
    String warning = TruncationWarning.forEvaluation(encoded(50, 7, 128), true).orElseThrow();
    assertTrue(warning.startsWith("7 of the 50 examples are longer than the maximum length, 128 tokens, and were"
        + " cut to it and scored on what was kept"), warning);
    assertTrue(warning.contains("the model's signature fixes that length, so only a model exported for longer"
        + " inputs keeps more"), warning);
    assertFalse(warning.contains("raise it"), warning);
  }
}

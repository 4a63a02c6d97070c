package dev.finetune.vblora.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.finetune.vblora.data.Task;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Labels that mix whole numbers and names are said once before training: often two spellings of one class. */
class MixedLabelsWarningTest {
  private static Optional<String> warning(Task task, String... labels) {
    return new TrainingData(null, null, List.of(), List.of(labels), null, null, task, false).mixedLabelsWarning();
  }

  @Test
  void numbersAndNamesInOneLabelSetAreSaid() {
    assertEquals(Optional.of("the labels mix numbers and names (0, 1, neg, pos): each is a class of its own, 4 in"
        + " all; if a number and a name mean the same class, spell it one way"),
        warning(Task.CLASSIFICATION, "0", "1", "neg", "pos"));
  }

  @Test
  void numbersAloneOrNamesAloneAreNot() {
    assertEquals(Optional.empty(), warning(Task.CLASSIFICATION, "0", "1", "2"));
    assertEquals(Optional.empty(), warning(Task.CLASSIFICATION, "neg", "pos", "l2"));
    assertEquals(Optional.empty(), warning(Task.REGRESSION));
  }
}

package dev.finetune.vblora.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.data.batch.EncodedDataset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What train and eval say when the vocabulary cannot spell much of the text, counted from the encoded data. */
class UnknownTokensWarningTest {

  private static EncodedDataset counted(long pieces, long unknown) {
    return new EncodedDataset(Task.CLASSIFICATION, null, 8, 0, List.of(), 0, pieces, unknown);
  }

  @Test
  void textTheVocabularySpellsSaysNothing() {
    assertEquals(Optional.empty(), UnknownTokensWarning.forTraining(counted(1_000, 4), counted(100, 0)));
    assertEquals(Optional.empty(), UnknownTokensWarning.forEvaluation(counted(0, 0)), "no text, nothing to say");
  }

  @Test
  void trainingCountsBothSetsAndSaysWhatToCheck() {
    String warning = UnknownTokensWarning.forTraining(counted(1_000, 40), counted(100, 20)).orElseThrow();
    assertTrue(warning.startsWith("5.5% of the training and validation texts' word pieces are [UNK] (60 of 1,100)"),
        warning);
    assertTrue(warning.contains("so it trains on the rest only") && warning.contains("bert-base-multilingual-cased"),
        warning);
  }

  @Test
  void scoringSaysItScoresOnTheRest() {
    String warning = UnknownTokensWarning.forEvaluation(counted(12, 12)).orElseThrow();
    assertTrue(warning.startsWith("100.0% of the scored texts' word pieces are [UNK] (12 of 12)"), warning);
    assertTrue(warning.contains("so it scores on the rest only"), warning);
  }
}

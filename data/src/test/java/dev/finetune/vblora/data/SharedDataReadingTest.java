package dev.finetune.vblora.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.finetune.vblora.data.testing.SharedFolder;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The team's real data files (headerless TSV, label and text in opposite column orders) read to the row and
 * class counts their SOURCE.md states.
 */
class SharedDataReadingTest {
  @Test
  void sst2HasLabelThenSentence() throws IOException {
    Dataset d = DatasetReader.read(SharedFolder.resolve("data/sst2/train.tsv"),
        ReadOptions.of(ColumnMapping.of("1", "0"), Task.CLASSIFICATION));
    assertEquals(6920, d.size());
    assertEquals(List.of("0", "1"), d.labels().names());
    assertArrayEquals(new int[] {3310, 3610}, d.classCounts());
    assertEquals(1, d.get(0).line(), "no header row: the first line is an example");
  }

  @Test
  void colaHasSentenceThenLabel() throws IOException {
    Dataset d = DatasetReader.read(SharedFolder.resolve("data/cola/train.tsv"),
        ReadOptions.of(ColumnMapping.of("0", "1"), Task.CLASSIFICATION));
    assertEquals(8551, d.size());
    assertArrayEquals(new int[] {2528, 6023}, d.classCounts());
  }
}

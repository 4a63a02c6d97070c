package dev.finetune.vblora.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A written split reads back as the same examples, labels by name, under the default column names. */
class DatasetTsvWriterTest {
  @Test
  void aWrittenDatasetReadsBackAsTheSameExamples(@TempDir Path dir) throws Exception {
    Path source = dir.resolve("in.tsv");
    Files.writeString(source, "label\tsentence\npos\tgreat fun\nneg\tdull\npos\tfine film\n");
    ReadOptions options = ReadOptions.of(ColumnMapping.of("sentence", "label"), Task.CLASSIFICATION);
    Dataset original = DatasetReader.read(source, options.withHeader(HeaderMode.PRESENT));

    Path copy = dir.resolve("copy.tsv");
    DatasetTsvWriter.write(original, copy);
    Dataset back = DatasetReader.read(copy, options, original.labels());

    assertEquals(original.size(), back.size());
    for (int i = 0; i < original.size(); i++) {
      assertEquals(original.get(i).text(), back.get(i).text());
      assertEquals(original.get(i).classId(), back.get(i).classId());
    }
  }

  /**
   * TSV has no quoting, so a tab or line break inside a text (possible in CSV or JSONL data) would split the row:
   * they are written as spaces, which the WordPiece tokenizer treats alike. Pairs and regression values round-trip.
   */
  @Test
  void tabsAndLineBreaksInsideTextsBecomeSpacesAndPairsKeepTheirColumns(@TempDir Path dir) throws Exception {
    Dataset original = InMemoryDataset.of("held-out", List.of(
        TextExample.pair("a\ttabbed\r\ntext", "second\nline", "0.25"),
        TextExample.pair("plain", "also plain", "1.5")), Task.REGRESSION, null);
    Path copy = dir.resolve("copy.tsv");
    DatasetTsvWriter.write(original, copy);
    assertEquals(List.of("sentence\tsentence_pair\tlabel", "a tabbed  text\tsecond line\t0.25",
        "plain\talso plain\t1.5"), Files.readAllLines(copy));
    Dataset back = DatasetReader.read(copy, ReadOptions.of(ColumnMapping.of("sentence", "sentence_pair", "label"),
        Task.REGRESSION));
    assertEquals(2, back.size());
    assertEquals("second line", back.get(0).textPair());
    assertEquals(0.25f, back.get(0).label());
    assertEquals(1.5f, back.get(1).label());
  }
}

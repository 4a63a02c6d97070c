package dev.finetune.vblora.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
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
}

package dev.finetune.vblora.data.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.DataFileException;
import dev.finetune.vblora.data.LabelSet;
import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.data.batch.EncodedDataset;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JSONL of feature arrays: one array per model input, checked against the input's shape, and a label. */
class FeatureJsonlReaderTest {
  @TempDir
  Path dir;

  private final FeatureJsonlReader reader = new FeatureJsonlReader(Map.of("input_1", new long[] {2, 3}),
      "label", Task.CLASSIFICATION);

  private Path file(String... lines) throws Exception {
    return Files.write(dir.resolve("data.jsonl"), List.of(lines));
  }

  @Test
  void readsEachInputFlattenedRowMajorWithItsClassId() throws Exception {
    EncodedDataset data = reader.read(file("{\"input_1\": [[1, 2, 3], [4, 5, 6.5]], \"label\": 1}",
        "{\"input_1\": [[0, 0, 0], [0, 0, 0]], \"label\": 0}"), null);
    assertEquals(2, data.size());
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6.5f}, data.get(0).features().get("input_1"));
    assertEquals(1f, data.get(0).label());
    assertEquals(List.of("0", "1"), data.labels().names());
  }

  /** Feature files are read as text files are: gzip when named .gz, with a byte order mark, CRLF line ends. */
  @Test
  void aGzipFileWithAByteOrderMarkAndCrlfLinesReadsAsThePlainOne() throws Exception {
    String text = "\uFEFF{\"input_1\": [[1, 2, 3], [4, 5, 6.5]], \"label\": 1}\r\n"
        + "{\"input_1\": [[0, 0, 0], [0, 0, 0]], \"label\": 0}\r\n";
    Path gz = dir.resolve("data.jsonl.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
    EncodedDataset data = reader.read(gz, null);
    assertEquals(2, data.size());
    assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6.5f}, data.get(0).features().get("input_1"));
    assertEquals(List.of("0", "1"), data.labels().names());
  }

  @Test
  void aMissingFileIsNamed() {
    Path missing = dir.resolve("missing.jsonl");
    DataFileException e = assertThrows(DataFileException.class, () -> reader.read(missing, null));
    assertTrue(e.getMessage().contains("the file does not exist"), e.getMessage());
  }

  @Test
  void anArrayOfAnotherShapeNamesTheLineTheInputAndTheShape() throws Exception {
    DataFileException e = assertThrows(DataFileException.class, () -> reader.read(file(
        "{\"input_1\": [[1, 2, 3], [4, 5, 6]], \"label\": 1}", "{\"input_1\": [[1, 2], [4, 5]], \"label\": 0}"),
        null));
    assertTrue(e.getMessage().contains("line 2") && e.getMessage().contains("input_1")
        && e.getMessage().contains("[2, 3]"), e.getMessage());
  }

  @Test
  void aMissingInputOrLabelIsNamed() throws Exception {
    assertTrue(assertThrows(DataFileException.class, () -> reader.read(file("{\"label\": 1}"), null)).getMessage()
        .contains("no array for model input 'input_1'"));
    assertTrue(assertThrows(DataFileException.class, () -> reader.read(file(
        "{\"input_1\": [[1, 2, 3], [4, 5, 6]]}"), null)).getMessage().contains("no label 'label'"));
  }

  @Test
  void aLabelOutsideTheModelsClassesIsRefused() throws Exception {
    DataFileException e = assertThrows(DataFileException.class, () -> reader.read(file(
        "{\"input_1\": [[1, 2, 3], [4, 5, 6]], \"label\": 2}"), LabelSet.inOrder(List.of("0", "1"))));
    assertTrue(e.getMessage().contains("label '2' is not one of the classes [0, 1]"), e.getMessage());
  }

  /** A text TSV given to a model of feature inputs: the message says what the model reads instead. */
  @Test
  void aTextFileIsToldWhatThisModelReads() throws Exception {
    DataFileException e = assertThrows(DataFileException.class, () -> reader.read(file("sentence\tlabel",
        "a fine day\t1"), null));
    assertTrue(e.getMessage().contains("line 1") && e.getMessage().contains("not a JSON object")
        && e.getMessage().contains("this model takes feature inputs, read from JSONL with one object per line holding"
            + " one array per model input [input_1] and the label 'label'"), e.getMessage());
  }
}

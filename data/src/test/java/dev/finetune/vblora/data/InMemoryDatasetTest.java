package dev.finetune.vblora.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InMemoryDatasetTest {
  @TempDir
  Path dir;

  @Test
  void examplesInMemoryReadAsTheSameFileWould() throws Exception {
    List<TextExample> given = List.of(TextExample.of("a fine film", "pos"), TextExample.of("dull", "neg"),
        TextExample.of("great cast", "pos"));
    Path file = Files.writeString(dir.resolve("t.tsv"), "sentence\tlabel\na fine film\tpos\ndull\tneg\n"
        + "great cast\tpos\n");
    Dataset fromFile = DatasetReader.read(file, ReadOptions.of(ColumnMapping.of("sentence", "label"),
        Task.CLASSIFICATION));
    Dataset fromMemory = InMemoryDataset.of("train", given, Task.CLASSIFICATION, null);
    assertEquals(fromFile.labels(), fromMemory.labels());
    assertEquals(fromFile.examples().stream().map(e -> e.text() + "=" + e.label()).toList(),
        fromMemory.examples().stream().map(e -> e.text() + "=" + e.label()).toList());
  }

  @Test
  void validationLabelsAreHeldToTheTrainingClassesAndRegressionToNumbers() {
    LabelSet classes = LabelSet.of(List.of("neg", "pos"));
    DataFileException unknown = assertThrows(DataFileException.class, () -> InMemoryDataset.of("valid",
        List.of(TextExample.of("a", "pos"), TextExample.of("b", "meh")), Task.CLASSIFICATION, classes));
    assertTrue(unknown.getMessage().contains("in-memory:valid, line 2") && unknown.getMessage().contains("'meh'"),
        unknown.getMessage());
    assertEquals(2.5f, InMemoryDataset.of("train", List.of(TextExample.of("a", "2.5")), Task.REGRESSION, null)
        .get(0).label());
    assertThrows(DataFileException.class, () -> InMemoryDataset.of("train", List.of(TextExample.of("a", "x")),
        Task.REGRESSION, null));
    assertThrows(DataFileException.class, () -> InMemoryDataset.of("train", List.of(TextExample.of("a", "pos"),
        TextExample.of("b", "pos")), Task.CLASSIFICATION, null), "a classifier needs two classes");
  }

  /** The file readers' rules hold in memory too: no empty text, no class spelt two ways. */
  @Test
  void anEmptyTextOrALabelSpeltTwoWaysIsRefusedAsInAFile() {
    DataFileException blank = assertThrows(DataFileException.class, () -> InMemoryDataset.of("train",
        List.of(TextExample.of("fine", "pos"), TextExample.of("  ", "neg")), Task.CLASSIFICATION, null));
    assertTrue(blank.getMessage().contains("in-memory:train, line 2") && blank.getMessage().contains("text is empty"),
        blank.getMessage());
    DataFileException control = assertThrows(DataFileException.class, () -> InMemoryDataset.of("train",
        List.of(TextExample.of("fine", "pos"), TextExample.pair("ok", "\u0000\u200b", "neg")), Task.CLASSIFICATION,
        null));
    assertTrue(control.getMessage().contains("the text pair is empty (or holds only control or format characters)"),
        control.getMessage());
    DataFileException cased = assertThrows(DataFileException.class, () -> InMemoryDataset.of("train",
        List.of(TextExample.of("a", "Positive"), TextExample.of("b", "negative"), TextExample.of("c", "positive")),
        Task.CLASSIFICATION, null));
    assertTrue(cased.getMessage().contains("'positive' differs only in case from 'Positive' (example 1)"),
        cased.getMessage());
  }
}

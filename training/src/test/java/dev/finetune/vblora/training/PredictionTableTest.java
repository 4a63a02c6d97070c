package dev.finetune.vblora.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.data.batch.Batch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TSV of per-example outputs that train writes and eval writes and compares against. */
class PredictionTableTest {
  @TempDir
  Path dir;

  /** A batch of the examples {@code indices} (only the indices matter to the table). */
  private static Batch batchOf(int... indices) {
    int[][] empty = new int[indices.length][1];
    return new Batch(Task.CLASSIFICATION, indices, empty, empty, empty, new float[indices.length]);
  }

  /** Probabilities that encode their example: [i / 10, 1 - i / 10]. */
  private static float[][] probabilities(Batch batch) {
    float[][] p = new float[batch.size()][];
    for (int row = 0; row < batch.size(); row++) {
      float x = batch.exampleIndices()[row] / 10f;
      p[row] = new float[] {x, 1 - x};
    }
    return p;
  }

  @Test
  void rowsLandAtTheirExampleIndexAndReadBackExactly() throws Exception {
    PredictionTable table = PredictionTable.empty(List.of("negative", "positive"), 5)
        .fill(List.of(batchOf(3, 4), batchOf(0, 1, 2)), PredictionTableTest::probabilities);
    Path file = dir.resolve("p.tsv");
    table.write(file);
    List<String> lines = Files.readAllLines(file);
    assertEquals("example\tnegative\tpositive", lines.get(0));
    assertEquals("3\t" + 0.3f + "\t" + (1 - 0.3f), lines.get(4));

    PredictionTable read = PredictionTable.read(file);
    assertEquals(5, read.examples());
    assertEquals(List.of("negative", "positive"), read.columns());
    for (int i = 0; i < 5; i++) {
      assertArrayEquals(new float[] {i / 10f, 1 - i / 10f}, read.row(i), 0f);
    }
    assertEquals(0.0, read.maxAbsDifference(table));
  }

  @Test
  void theDifferenceIsTheLargestAbsoluteOneOverAllValues() throws Exception {
    PredictionTable a = PredictionTable.empty(List.of(PredictionTable.PREDICTION), 3)
        .fill(List.of(batchOf(0, 1, 2)), b -> new float[][] {{1f}, {2f}, {3f}});
    PredictionTable b = PredictionTable.empty(List.of(PredictionTable.PREDICTION), 3)
        .fill(List.of(batchOf(0, 1, 2)), x -> new float[][] {{1.5f}, {1.75f}, {3f}});
    assertEquals(0.5, a.maxAbsDifference(b), 0.0);
    assertEquals(0.5, b.maxAbsDifference(a), 0.0);
  }

  @Test
  void tablesOfDifferentExampleCountsOrColumnsAreNotCompared() {
    PredictionTable three = PredictionTable.empty(List.of("a", "b"), 3)
        .fill(List.of(batchOf(0, 1, 2)), PredictionTableTest::probabilities);
    PredictionTable two = PredictionTable.empty(List.of("a", "b"), 2)
        .fill(List.of(batchOf(0, 1)), PredictionTableTest::probabilities);
    PredictionTable otherColumns = PredictionTable.empty(List.of("b", "a"), 3)
        .fill(List.of(batchOf(0, 1, 2)), PredictionTableTest::probabilities);
    String counts = assertThrows(IllegalArgumentException.class, () -> three.maxAbsDifference(two)).getMessage();
    assertTrue(counts.contains("3 and 2 examples"), counts);
    assertThrows(IllegalArgumentException.class, () -> three.maxAbsDifference(otherColumns));
  }

  @Test
  void aTableWithAMissingExampleIsNotWrittenAndAForeignFileIsNotRead() throws Exception {
    PredictionTable partial = PredictionTable.empty(List.of("a", "b"), 3)
        .fill(List.of(batchOf(0, 2)), PredictionTableTest::probabilities);
    assertThrows(IllegalStateException.class, () -> partial.write(dir.resolve("partial.tsv")));
    Path data = dir.resolve("data.tsv");
    Files.writeString(data, "sentence\tlabel\nA fine day.\t1\n");
    String message = assertThrows(IllegalArgumentException.class, () -> PredictionTable.read(data)).getMessage();
    assertTrue(message.contains(data.toString()) && message.contains("header"), message);
  }

  /** Only a write that ran out of space is told to free space; a folder that cannot be made is not. */
  @Test
  void aWriteThatFailsForAnotherReasonNamesTheFileWithoutDiskSpaceAdvice() throws Exception {
    PredictionTable table = PredictionTable.empty(List.of("a", "b"), 1)
        .fill(List.of(batchOf(0)), PredictionTableTest::probabilities);
    Path file = Files.writeString(dir.resolve("a-file"), "").resolve("p.tsv");
    String message = assertThrows(IOException.class, () -> table.write(file)).getMessage();
    assertTrue(message.contains("could not write the predictions to " + file), message);
    assertTrue(message.endsWith("choose another file"), message);
    assertFalse(message.contains("space"), message);
  }

  @Test
  void aFileStartingWithTheTablesHeaderIsAPredictionTableAndDataIsNot() throws Exception {
    assertTrue(PredictionTable.isPredictionTable(Files.writeString(dir.resolve("t.tsv"), "example\tprediction\n")));
    assertFalse(PredictionTable.isPredictionTable(Files.writeString(dir.resolve("d.tsv"), "sentence\tlabel\n")));
    assertFalse(PredictionTable.isPredictionTable(dir.resolve("absent.tsv")));
  }
}

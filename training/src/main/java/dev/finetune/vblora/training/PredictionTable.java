package dev.finetune.vblora.training;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.batch.Batch;
import dev.finetune.vblora.data.io.AtomicFile;
import dev.finetune.vblora.data.io.OutOfSpace;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A model's output for every example of a data set, in the set's order, as written to and read from a TSV file:
 * a header {@code example <column>...} (the class names for classification, {@code prediction} for
 * regression), then one row per example with its 0-based index and its values. Two tables of the same examples
 * tell how far two ways of computing the model (the training graph, the merged SavedModel) drift apart.
 */
public final class PredictionTable {
  /** The header of a regression table's only value column. */
  public static final String PREDICTION = "prediction";
  private static final String INDEX = "example";

  private final List<String> columns;
  private final float[][] rows;

  private PredictionTable(List<String> columns, float[][] rows) {
    this.columns = List.copyOf(columns);
    this.rows = rows;
  }

  /**
   * An empty table to be filled by {@link #recording}.
   *
   * @param columns class names (classification) or {@code List.of(PREDICTION)}
   */
  public static PredictionTable empty(List<String> columns, int examples) {
    if (columns.isEmpty()) {
      throw new VbLoraException("a prediction table needs at least one value column");
    }
    return new PredictionTable(columns, new float[examples][]);
  }

  /** The value columns of a head: its class names, or {@code prediction} when there are none (regression). */
  public static List<String> columnsFor(List<String> labelNames) {
    return labelNames.isEmpty() ? List.of(PREDICTION) : labelNames;
  }

  /** {@code predict}, storing each real row of its answer at the row's example index (padding rows are not). */
  public Function<Batch, float[][]> recording(Function<Batch, float[][]> predict) {
    return batch -> {
      float[][] values = predict.apply(batch);
      int[] indices = batch.exampleIndices();
      for (int row = 0; row < batch.examples(); row++) {
        if (values[row].length != columns.size()) {
          throw new IllegalStateException("the model gave " + values[row].length + " values per example, the table"
              + " has " + columns.size() + " columns " + columns);
        }
        rows[indices[row]] = values[row].clone();
      }
      return values;
    };
  }

  /** Fills the table with {@code predict} over {@code batches}. */
  public PredictionTable fill(List<Batch> batches, Function<Batch, float[][]> predict) {
    Function<Batch, float[][]> recorder = recording(predict);
    batches.forEach(recorder::apply);
    return this;
  }

  public int examples() {
    return rows.length;
  }

  public List<String> columns() {
    return columns;
  }

  /** The values of example {@code index}. */
  public float[] row(int index) {
    return rows[index].clone();
  }

  /**
   * Writes the table; every example must have been predicted. The file is replaced atomically: a failed write
   * (a full disk, a read-only folder) leaves the previous file as it was (no empty or half table), and the error
   * names the file; it advises freeing space only when space ran out.
   */
  public void write(Path file) throws IOException {
    StringBuilder text = new StringBuilder(INDEX);
    columns.forEach(c -> text.append('\t').append(c));
    text.append('\n');
    for (int i = 0; i < rows.length; i++) {
      if (rows[i] == null) {
        throw new IllegalStateException("example " + i + " of " + rows.length + " has no prediction");
      }
      text.append(i);
      for (float v : rows[i]) {
        text.append('\t').append(v); // Float.toString: reads back to the same float
      }
      text.append('\n');
    }
    try {
      AtomicFile.writeString(file, text.toString());
    } catch (IOException e) {
      throw new IOException("could not write the predictions to " + file + " (" + e.getMessage() + "); the file"
          + " is as it was before: " + (OutOfSpace.causes(e) ? "free space on that disk or " : "") + "choose another"
          + " file", e);
    }
  }

  /**
   * Whether {@code file} is a table as {@link #write} writes it (the header, example indices in order, numbers),
   * i.e. vblora wrote it: the one kind of existing file eval's --overwrite may replace. Judged by {@link #read}
   * itself, so that a file of the user's that only begins like a table is not taken for one.
   */
  public static boolean isPredictionTable(Path file) {
    try {
      read(file);
      return true;
    } catch (IOException | RuntimeException e) {
      return false; // unreadable, not text, or not a table of ours
    }
  }

  /** Reads what {@link #write} wrote. */
  public static PredictionTable read(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    if (lines.isEmpty() || !lines.get(0).startsWith(INDEX + "\t")) {
      throw new VbLoraException(file + " is not a prediction table: its first line must be the header '"
          + INDEX + "<TAB>column...' as vblora train (valid_predictions.tsv) and vblora eval's prediction"
          + " output write it");
    }
    String[] header = lines.get(0).split("\t", -1);
    List<String> columns = List.of(header).subList(1, header.length);
    List<float[]> rows = new ArrayList<>();
    for (int line = 1; line < lines.size(); line++) {
      if (lines.get(line).isEmpty()) {
        continue;
      }
      String[] cells = lines.get(line).split("\t", -1);
      if (cells.length != header.length) {
        throw new VbLoraException(file + " line " + (line + 1) + " has " + cells.length + " cells, the"
            + " header " + header.length);
      }
      if (Integer.parseInt(cells[0].trim()) != rows.size()) {
        throw new VbLoraException(file + " line " + (line + 1) + " is example " + cells[0] + ", expected "
            + rows.size() + " (rows are in example order)");
      }
      float[] values = new float[columns.size()];
      for (int c = 0; c < values.length; c++) {
        try {
          values[c] = Float.parseFloat(cells[c + 1].trim());
        } catch (NumberFormatException e) {
          throw new VbLoraException(file + " line " + (line + 1) + " column " + columns.get(c) + ": '"
              + cells[c + 1] + "' is not a number", e);
        }
      }
      rows.add(values);
    }
    return new PredictionTable(columns, rows.toArray(float[][]::new));
  }

  /**
   * The largest absolute difference between this table's values and {@code other}'s.
   *
   * @throws IllegalArgumentException when the tables hold different numbers of examples or other columns
   */
  public double maxAbsDifference(PredictionTable other) {
    if (other.rows.length != rows.length) {
      throw new VbLoraException("the prediction tables hold " + rows.length + " and " + other.rows.length
          + " examples; compare predictions of the same data file");
    }
    if (!other.columns.equals(columns)) {
      throw new VbLoraException("the prediction tables have the columns " + columns + " and "
          + other.columns + "; compare predictions of the same task head");
    }
    double worst = 0;
    for (int i = 0; i < rows.length; i++) {
      for (int c = 0; c < columns.size(); c++) {
        worst = Math.max(worst, Math.abs((double) rows[i][c] - other.rows[i][c]));
      }
    }
    return worst;
  }
}

package dev.finetune.vblora.data.batch;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.Task;
import java.util.Arrays;
import java.util.Map;

/**
 * A batch as the model's inputs: [rows, sequence length] arrays padded to one length bucket, and one label per
 * row. Padding positions have the [PAD] token id (0 in BERT vocabularies), mask 0, segment 0.
 *
 * <p>A batch may hold more rows than examples: with {@link BatchingOptions#fullBatches()} a short batch (the last
 * of an epoch or of an evaluation) is filled up to the full batch size with padding rows, so that the graph
 * sees one batch shape and an XLA device compiles it once. Padding rows come last, repeat the batch's first
 * example (so every activation stays an ordinary one), and weigh nothing: see {@link #exampleWeights()}.
 * The record owns its arrays; callers must not change them.
 *
 * @param exampleIndices the dataset index of each real row's example, in row order (to relate predictions to
 *     lines); its length is the number of real rows, {@link #examples()}
 * @param labels class ids (classification) or target values (regression), one per row; see {@link #labelIds()}
 *     and {@link #labelValues()}
 * @param features for models whose inputs are feature arrays: per input key, one row of values per batch row
 *     (row-major, the example's shape flattened); empty for text (then the id arrays hold no tokens otherwise)
 */
public record Batch(Task task, int[] exampleIndices, int[][] inputIds, int[][] inputMask, int[][] segmentIds,
    float[] labels, Map<String, float[][]> features) {

  /** A batch of tokens. */
  public Batch(Task task, int[] exampleIndices, int[][] inputIds, int[][] inputMask, int[][] segmentIds,
      float[] labels) {
    this(task, exampleIndices, inputIds, inputMask, segmentIds, labels, Map.of());
  }

  public Batch {
    features = Map.copyOf(features);
    int rows = inputIds.length;
    if (inputMask.length != rows || segmentIds.length != rows || labels.length != rows) {
      throw new VbLoraException("a batch needs one mask, segment and label row per id row, got ids "
          + rows + ", mask " + inputMask.length + ", segments " + segmentIds.length + ", labels " + labels.length);
    }
    features.forEach((key, values) -> {
      if (values.length != rows) {
        throw new VbLoraException("a batch needs one row of feature '" + key + "' per id row, got "
            + values.length + " for " + rows);
      }
    });
    if (exampleIndices.length > rows) {
      throw new VbLoraException("a batch of " + rows + " rows cannot hold " + exampleIndices.length
          + " examples");
    }
  }

  /** Rows, padding rows included: the batch dimension the graph sees. */
  public int size() {
    return inputIds.length;
  }

  /** Real rows: the examples this batch carries (the first {@code examples()} rows). */
  public int examples() {
    return exampleIndices.length;
  }

  /** Rows that only fill the batch up to its full size. */
  public int paddingRows() {
    return size() - examples();
  }

  /** 1 for each real row, 0 for each padding row: the weight of each row's loss. */
  public float[] exampleWeights() {
    float[] weights = new float[size()];
    Arrays.fill(weights, 0, examples(), 1f);
    return weights;
  }

  /** The padded length of every row. */
  public int sequenceLength() {
    return inputIds.length == 0 ? 0 : inputIds[0].length;
  }

  /** The class id of each row (classification only). */
  public int[] labelIds() {
    if (task != Task.CLASSIFICATION) {
      throw new IllegalStateException("a " + task.cliName() + " batch has values, not class ids");
    }
    int[] ids = new int[labels.length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = (int) labels[i];
    }
    return ids;
  }

  /** The target value of each row (regression only). */
  public float[] labelValues() {
    if (task != Task.REGRESSION) {
      throw new IllegalStateException("a " + task.cliName() + " batch has class ids, not values");
    }
    return labels.clone();
  }

  /** Positions that hold real tokens in real rows (the sum of their mask). */
  public int realTokens() {
    int n = 0;
    for (int row = 0; row < examples(); row++) {
      for (int m : inputMask[row]) {
        n += m;
      }
    }
    return n;
  }
}

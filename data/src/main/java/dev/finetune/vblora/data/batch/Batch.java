package dev.finetune.vblora.data.batch;

import dev.finetune.vblora.data.Task;

/**
 * A batch as the model's inputs: [batch, sequence length] arrays padded to one length bucket, and one
 * label per example. Padding positions have the [PAD] token id (0 in BERT vocabularies), mask 0, segment 0.
 * The record owns its arrays; callers must not change them.
 *
 * @param exampleIndices the index of each row's example in its dataset (to relate predictions to lines)
 * @param labels class ids (classification) or target values (regression); see {@link #labelIds()} and
 *     {@link #labelValues()}
 */
public record Batch(Task task, int[] exampleIndices, int[][] inputIds, int[][] inputMask, int[][] segmentIds,
    float[] labels) {

  public int size() {
    return inputIds.length;
  }

  /** The padded length of every row. */
  public int sequenceLength() {
    return inputIds.length == 0 ? 0 : inputIds[0].length;
  }

  /** The class id of each example (classification only). */
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

  /** The target value of each example (regression only). */
  public float[] labelValues() {
    if (task != Task.REGRESSION) {
      throw new IllegalStateException("a " + task.cliName() + " batch has class ids, not values");
    }
    return labels.clone();
  }

  /** Positions that hold real tokens (the sum of the mask). */
  public int realTokens() {
    int n = 0;
    for (int[] row : inputMask) {
      for (int m : row) {
        n += m;
      }
    }
    return n;
  }
}

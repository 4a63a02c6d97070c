package dev.finetune.vblora.savedmodel.io;

/**
 * What a run trains on the model's outputs: a new head on a feature tensor, or the model's own output.
 */
public sealed interface ModelOutput {

  /**
   * A new dense head (classifier or regressor) on {@code features}, exported with the head.
   *
   * @param features a signature output key (pooled_output, pooler_output, ...) or a graph tensor name
   *     (node:index) of the serving path
   * @param pooling how a sequence output [batch, length, hidden] becomes [batch, hidden]
   */
  record NewHead(String features, Pooling pooling) implements ModelOutput {}

  /**
   * The model's own output {@code key}, trained with {@code loss}; exported weights-only.
   *
   * @param width values per example (classes; 1 for a sigmoid or a regression)
   * @param fromProbabilities the output is a softmax or sigmoid: the loss reads the logits before it
   */
  record OwnOutput(String key, LossKind loss, int width, boolean fromProbabilities) implements ModelOutput {
    /** Classes of a classification output: its width, or 2 for a sigmoid. */
    public int classes() {
      return loss == LossKind.BINARY_CROSS_ENTROPY ? 2 : width;
    }
  }
}

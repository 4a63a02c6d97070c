package dev.finetune.vblora.training;

import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.data.batch.Batch;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The feed tensors of one training step, built from a {@link Batch} ahead of the step (see
 * {@link BatchPrefetcher}) and consumed by {@link TrainingGraph#trainStep(org.tensorflow.Session, StepFeeds,
 * double)}. Closing it closes every tensor.
 *
 * @param inputIds int32 [batch, length] token ids
 * @param inputMask int32 [batch, length], 1 for real tokens
 * @param segmentIds int32 [batch, length] segment ids
 * @param labels int32 [batch] class ids (classification) or float32 [batch] targets (regression)
 * @param exampleWeights float32 [batch]: 1 for real rows, 0 for the padding rows of a filled-up batch
 */
public record StepFeeds(Batch batch, TInt32 inputIds, TInt32 inputMask, TInt32 segmentIds, Tensor labels,
    TFloat32 exampleWeights) implements AutoCloseable {

  /** Copies {@code batch} into new tensors; the caller closes them. */
  public static StepFeeds of(Batch batch) {
    List<Tensor> made = new ArrayList<>(5);
    try {
      TInt32 ids = add(made, TInt32.tensorOf(StdArrays.ndCopyOf(batch.inputIds())));
      TInt32 mask = add(made, TInt32.tensorOf(StdArrays.ndCopyOf(batch.inputMask())));
      TInt32 segments = add(made, TInt32.tensorOf(StdArrays.ndCopyOf(batch.segmentIds())));
      Tensor labels = add(made, batch.task() == Task.CLASSIFICATION
          ? TInt32.vectorOf(batch.labelIds())
          : TFloat32.vectorOf(batch.labelValues()));
      TFloat32 weights = add(made, TFloat32.vectorOf(batch.exampleWeights()));
      return new StepFeeds(batch, ids, mask, segments, labels, weights);
    } catch (RuntimeException e) {
      made.forEach(Tensor::close); // a half-built set would otherwise leak
      throw e;
    }
  }

  private static <T extends Tensor> T add(List<Tensor> made, T tensor) {
    made.add(tensor);
    return tensor;
  }

  @Override
  public void close() {
    inputIds.close();
    inputMask.close();
    segmentIds.close();
    labels.close();
    exampleWeights.close();
  }
}

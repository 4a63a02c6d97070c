package dev.finetune.vblora.training;

import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.data.batch.Batch;
import dev.finetune.vblora.savedmodel.io.ModelInputs;
import java.util.Map;
import org.tensorflow.Tensor;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The feed tensors of one training step, built from a {@link Batch} ahead of the step (see
 * {@link BatchPrefetcher}) and consumed by {@link TrainingGraph#trainStep(org.tensorflow.Session, StepFeeds,
 * double)}. Closing it closes every tensor.
 *
 * @param inputs per signature input key, its tensor (token ids, mask, types in the input's dtype, or features)
 * @param labels int32 [batch] class ids (classification) or float32 [batch] targets (regression)
 * @param exampleWeights float32 [batch]: 1 for real rows, 0 for the padding rows of a filled-up batch
 */
public record StepFeeds(Batch batch, Map<String, Tensor> inputs, Tensor labels, TFloat32 exampleWeights)
    implements AutoCloseable {

  public StepFeeds {
    inputs = Map.copyOf(inputs);
  }

  /** Copies {@code batch} into new tensors for {@code model}'s inputs; the caller closes them. */
  public static StepFeeds of(Batch batch, ModelInputs model) {
    Map<String, Tensor> inputs = model.feeds(batch);
    Tensor labels = null;
    try {
      labels = batch.task() == Task.CLASSIFICATION
          ? TInt32.vectorOf(batch.labelIds())
          : TFloat32.vectorOf(batch.labelValues());
      return new StepFeeds(batch, inputs, labels, TFloat32.vectorOf(batch.exampleWeights()));
    } catch (RuntimeException e) {
      inputs.values().forEach(Tensor::close); // a half-built set would otherwise leak
      if (labels != null) {
        labels.close();
      }
      throw e;
    }
  }

  @Override
  public void close() {
    inputs.values().forEach(Tensor::close);
    labels.close();
    exampleWeights.close();
  }
}

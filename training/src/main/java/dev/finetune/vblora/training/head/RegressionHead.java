package dev.finetune.vblora.training.head;

import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import dev.finetune.vblora.model.FedValues;
import org.tensorflow.types.TFloat32;

/**
 * Dense layer to one value with (weighted) mean squared error, as Hugging Face's sequence classification models do
 * with num_labels = 1 (e.g. STS-B).
 *
 * @param seed seed of the kernel's initial values
 */
public record RegressionHead(long seed) implements TaskHead {

  @Override
  public int outputs() {
    return 1;
  }

  @Override
  public HeadGraph build(Ops tf, Operand<TFloat32> pooledOutput, FedValues fed) {
    DenseLayer dense = dense(tf, pooledOutput);
    Ops head = dense.scope();
    Operand<TFloat32> labels = fed.placeholder(head, FedValues.LABELS, TFloat32.class, Shape.of(-1));
    Operand<TFloat32> predictions = head.withName("predictions").reshape(dense.logits(),
        head.constant(new long[] {-1}));
    WeightedLoss loss = TaskHead.weightedMean(head, head.math.square(head.math.sub(predictions, labels)), labels, fed);
    return new HeadGraph(dense.logits(), predictions, labels, loss.weights(), loss.loss(), dense.variables());
  }
}

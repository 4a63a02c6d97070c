package dev.finetune.vblora.training.head;

import dev.finetune.vblora.data.error.VbLoraException;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import dev.finetune.vblora.model.FedValues;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Dense layer to {@code numClasses} logits with (weighted) mean softmax cross-entropy. The loss is built from
 * log-softmax and a one-hot of the labels because SparseSoftmaxCrossEntropyWithLogits has no gradient
 * in TF-Java 1.1.0.
 *
 * @param numClasses number of classes (>= 2)
 * @param seed seed of the kernel's initial values
 */
public record ClassificationHead(int numClasses, long seed) implements TaskHead {

  public ClassificationHead {
    if (numClasses < 2) {
      throw new VbLoraException("a classification head needs at least 2 classes, got " + numClasses
          + "; use a regression head for a single output");
    }
  }

  @Override
  public int outputs() {
    return numClasses;
  }

  @Override
  public HeadGraph build(Ops tf, Operand<TFloat32> pooledOutput, FedValues fed) {
    DenseLayer dense = dense(tf, pooledOutput);
    Ops head = dense.scope();
    Operand<TInt32> labels = fed.placeholder(head, FedValues.LABELS, TInt32.class, Shape.of(-1));
    Operand<TFloat32> logProbabilities = head.nn.logSoftmax(dense.logits());
    Operand<TFloat32> oneHot = head.oneHot(labels, head.constant(numClasses), head.constant(1f),
        head.constant(0f));
    Operand<TFloat32> perExample = head.math.neg(
        head.reduceSum(head.math.mul(oneHot, logProbabilities), head.constant(1)));
    WeightedLoss loss = TaskHead.weightedMean(head, perExample, labels, fed);
    Operand<TFloat32> probabilities = head.withName("probabilities").nn.softmax(dense.logits());
    return new HeadGraph(dense.logits(), probabilities, labels, loss.weights(), loss.loss(), dense.variables());
  }
}

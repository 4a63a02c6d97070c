package dev.finetune.vblora.training.head;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.model.FedValues;
import dev.finetune.vblora.model.ResourceVariable;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/** A new trainable layer on the model's pooled output [batch, hidden], with its loss. */
public sealed interface TaskHead permits ClassificationHead, RegressionHead {

  /** Scope of the head's variables and ops: "head/kernel", "head/bias". */
  String SCOPE = "head";

  /** Adds the head, its label placeholder and its loss on top of {@code pooledOutput}. */
  default HeadGraph build(Ops tf, Operand<TFloat32> pooledOutput) {
    return build(tf, pooledOutput, FedValues.PLAIN);
  }

  /** As {@link #build(Ops, Operand)}, labels and row weights made by {@code fed} (plain or staged). */
  HeadGraph build(Ops tf, Operand<TFloat32> pooledOutput, FedValues fed);

  /** Width of the head's output: classes, or 1 for regression. */
  int outputs();

  /** Seed of the kernel's initial values. */
  long seed();

  /** logits = pooled @ kernel + bias, with kernel ~ truncated normal(0.02) and bias = 0, like BERT's. */
  default DenseLayer dense(Ops tf, Operand<TFloat32> pooledOutput) {
    Shape shape = pooledOutput.shape();
    if (shape.numDimensions() != 2 || shape.isUnknown() || shape.get(1) < 1) {
      throw new VbLoraException("the task head needs a pooled output of shape [batch, hidden] with a"
          + " known hidden size, got " + shape + "; pass the model's pooled_output");
    }
    int hidden = Math.toIntExact(shape.get(1));
    float[] kernelValues = TruncatedNormalInit.sample(hidden * outputs(), TruncatedNormalInit.BERT_STDDEV,
        seed());
    Operand<TFloat32> kernelInit = tf.reshape(tf.constant(kernelValues), tf.constant(new long[] {hidden,
        outputs()}));
    ResourceVariable kernel = ResourceVariable.create(tf, SCOPE + "/kernel", kernelInit);
    ResourceVariable bias = ResourceVariable.create(tf, SCOPE + "/bias", tf.constant(new float[outputs()]));
    Ops head = tf.withSubScope(SCOPE);
    Operand<TFloat32> logits = head.withName("logits").math.add(
        head.linalg.matMul(pooledOutput, kernel.read(head, TFloat32.class)), bias.read(head, TFloat32.class));
    return new DenseLayer(head, logits, List.of(kernel, bias));
  }

  /**
   * sum(weights * perExample) / sum(weights): the mean over the rows that count. The weights are a placeholder
   * that defaults to ones (one per label), so a caller that feeds none gets the plain mean; padding rows fed
   * with weight 0 add nothing to the loss and so nothing to any gradient. The default is built from the labels'
   * shape, not from the loss, so that no gradient path runs through the placeholder (it has no gradient). The
   * divisor is at least 1e-12 so that a batch of only padding rows gives 0, not NaN.
   */
  static WeightedLoss weightedMean(Ops head, Operand<TFloat32> perExample, Operand<?> labels, FedValues fed) {
    Operand<TFloat32> weights = fed.withDefault(head, FedValues.EXAMPLE_WEIGHTS,
        head.fill(head.shape(labels), head.constant(1f)), Shape.of(-1));
    Operand<TFloat32> total = head.reduceSum(weights, head.constant(0));
    Operand<TFloat32> loss = head.withName("loss").math.div(
        head.reduceSum(head.math.mul(weights, perExample), head.constant(0)),
        head.math.maximum(total, head.constant(1e-12f)));
    return new WeightedLoss(weights, loss);
  }

  /** The weights placeholder and the weighted mean loss. */
  record WeightedLoss(Operand<TFloat32> weights, Operand<TFloat32> loss) {}

  /** The dense layer's output, its variables, and the head's op scope for the ops that follow. */
  record DenseLayer(Ops scope, Operand<TFloat32> logits, List<ResourceVariable> variables) {}
}

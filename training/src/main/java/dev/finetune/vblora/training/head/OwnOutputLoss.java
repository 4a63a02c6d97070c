package dev.finetune.vblora.training.head;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.savedmodel.io.LossKind;
import dev.finetune.vblora.savedmodel.io.ModelOutput;
import java.util.List;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Stack;
import dev.finetune.vblora.model.FedValues;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * The loss of a model's own output, no new variables: cross entropy on its softmax (read from the logits before
 * it, for a stable gradient) or on its logits, binary cross entropy on its sigmoid (again from the logit), or mean
 * squared error on a linear output. Predictions are what evaluation scores: class probabilities [batch, classes]
 * (a sigmoid gives [1 - p, p]) or values [batch].
 */
public final class OwnOutputLoss {
  private static final String SCOPE = "own_output_loss";

  private OwnOutputLoss() {}

  /** Adds the loss of {@code own} on {@code output} (the adapted graph's tensor of that signature output). */
  public static HeadGraph build(Ops tf, Output<TFloat32> output, ModelOutput.OwnOutput own) {
    return build(tf, output, own, FedValues.PLAIN);
  }

  /** As {@link #build(Ops, Output, ModelOutput.OwnOutput)}, labels and row weights made by {@code fed}. */
  public static HeadGraph build(Ops tf, Output<TFloat32> output, ModelOutput.OwnOutput own, FedValues fed) {
    Ops scope = tf.withSubScope(SCOPE);
    Operand<TFloat32> logits = own.fromProbabilities() ? inputOfActivation(output) : output;
    if (own.loss() == LossKind.MSE) {
      Operand<TFloat32> labels = fed.placeholder(scope, FedValues.LABELS, TFloat32.class, Shape.of(-1));
      Operand<TFloat32> predictions = scope.withName("predictions").reshape(output, scope.constant(new long[] {-1}));
      TaskHead.WeightedLoss loss = TaskHead.weightedMean(scope,
          scope.math.square(scope.math.sub(predictions, labels)), labels, fed);
      return new HeadGraph(output, predictions, labels, loss.weights(), loss.loss(), List.of());
    }
    Operand<TInt32> labels = fed.placeholder(scope, FedValues.LABELS, TInt32.class, Shape.of(-1));
    if (own.loss() == LossKind.BINARY_CROSS_ENTROPY) {
      // max(x, 0) - x y + log(1 + exp(-|x|)): the logistic loss without overflow for large |x|.
      Operand<TFloat32> x = scope.reshape(logits, scope.constant(new long[] {-1}));
      Operand<TFloat32> y = scope.dtypes.cast(labels, TFloat32.class);
      Operand<TFloat32> perExample = scope.math.add(
          scope.math.sub(scope.math.maximum(x, scope.constant(0f)), scope.math.mul(x, y)),
          scope.math.log1p(scope.math.exp(scope.math.neg(scope.math.abs(x)))));
      TaskHead.WeightedLoss loss = TaskHead.weightedMean(scope, perExample, labels, fed);
      Operand<TFloat32> p = scope.math.sigmoid(x);
      Operand<TFloat32> probabilities = scope.withName("probabilities").stack(
          List.of(scope.math.sub(scope.constant(1f), p), p), Stack.axis(1L));
      return new HeadGraph(logits, probabilities, labels, loss.weights(), loss.loss(), List.of());
    }
    Operand<TFloat32> logProbabilities = scope.nn.logSoftmax(logits);
    Operand<TFloat32> oneHot = scope.oneHot(labels, scope.constant(own.width()), scope.constant(1f),
        scope.constant(0f));
    Operand<TFloat32> perExample = scope.math.neg(
        scope.reduceSum(scope.math.mul(oneHot, logProbabilities), scope.constant(1)));
    TaskHead.WeightedLoss loss = TaskHead.weightedMean(scope, perExample, labels, fed);
    Operand<TFloat32> probabilities = scope.withName("probabilities").nn.softmax(logits);
    return new HeadGraph(logits, probabilities, labels, loss.weights(), loss.loss(), List.of());
  }

  /** The input of the Softmax or Sigmoid that computes {@code output}, through Identity wrappers. */
  private static Operand<TFloat32> inputOfActivation(Output<TFloat32> output) {
    Output<?> tensor = output;
    for (int hop = 0; hop < 64; hop++) {
      GraphOperation op = (GraphOperation) tensor.op();
      switch (op.type()) {
        case "Softmax", "Sigmoid" -> {
          return op.input(0).expect(TFloat32.class);
        }
        case "Identity", "StopGradient", "Snapshot" -> tensor = op.input(0);
        case "IdentityN" -> tensor = op.input(tensor.index());
        default -> throw new VbLoraException("the output " + output.op().name() + " is computed by "
            + op.type() + ", not by a softmax or sigmoid; train it with a loss on logits or values");
      }
    }
    throw new VbLoraException("the output " + output.op().name() + " is wrapped too deeply to find its "
        + "activation");
  }
}

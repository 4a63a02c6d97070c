package dev.finetune.vblora.training.bench;

import dev.finetune.vblora.data.error.VbLoraException;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * The sum of a model output as one scalar: what the inference measurements fetch, so that every forward pass
 * (adapted, merged, untouched) computes the same tail and copies four bytes back to the host.
 */
final class ScalarSum {
  private ScalarSum() {}

  /** Adds {@code sum(output)} to the graph under a name of its own and returns its tensor name. */
  static String add(Graph graph, String outputTensor, String name) {
    if (graph.operation(name) != null) {
      throw new IllegalStateException("the graph already has an operation named " + name);
    }
    Ops tf = Ops.create(graph);
    Operand<TFloat32> output = graph.outputOrThrow(outputTensor).expect(TFloat32.class);
    int rank = output.shape().numDimensions();
    if (rank < 0) {
      throw new VbLoraException("output " + outputTensor + " has an unknown rank; bench needs its rank");
    }
    int[] axes = new int[rank];
    for (int i = 0; i < rank; i++) {
      axes[i] = i;
    }
    // Constant axes: a computed range would be an int32 op that TensorFlow runs on the host.
    Operand<TFloat32> sum = tf.withName(name).reduceSum(output, tf.constant(axes));
    return sum.op().name() + ":0";
  }
}

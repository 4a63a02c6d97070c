package dev.finetune.vblora.savedmodel;

import dev.finetune.vblora.model.AdapterVariable;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * One plain gradient step on the adapter variables of an adapted graph, for tests that check which variables a
 * step moves: the loss is the mean square of one output, gradients are asked for the adapter variables only, and
 * each variable moves by 10 x its gradient (large, so that every adapter variable visibly changes).
 */
final class AdapterGradientStep {
  private AdapterGradientStep() {}

  static List<Op> build(Graph graph, String outputTensor, List<AdapterVariable> trainable) {
    Ops tf = Ops.create(graph).withSubScope("test_step");
    Operand<TFloat32> output = graph.outputOrThrow(outputTensor).expect(TFloat32.class);
    Operand<TFloat32> loss = tf.math.mean(tf.math.square(output), tf.constant(new int[] {0, 1}));
    Output<?>[] gradients = graph.addGradients(loss.asOutput(),
        trainable.stream().map(v -> graph.outputOrThrow(v.value())).toArray(Output<?>[]::new));
    List<Op> steps = new ArrayList<>();
    for (int i = 0; i < trainable.size(); i++) {
      steps.add(tf.assignSubVariableOp(graph.operationOrThrow(trainable.get(i).name()).output(0),
          tf.math.mul(tf.constant(10f), gradients[i].expect(TFloat32.class))));
    }
    return steps;
  }
}

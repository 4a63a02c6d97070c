package dev.finetune.vblora.model;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.TensorFlow;
import org.tensorflow.op.Ops;

/**
 * The one gradient this process registers for {@code IdentityN}, which the graph rewrites use as a marker: a
 * marker's gradient is the closed form its rewrite wants ({@link FusedAttention}'s softmax, {@link GeluRecompute}'s
 * GELU), and any other IdentityN passes its gradients through unchanged, as Python's TensorFlow does.
 *
 * <p>Why one class: TensorFlow keeps one custom gradient per op type and refuses a second registration, so every
 * marker's gradient has to be dispatched from here, by the marker's name.
 */
final class MarkerGradients {
  private MarkerGradients() {}

  /** Registers the gradient once per process; false when IdentityN already had one (other code registered it). */
  static boolean registered() {
    return Registration.DONE;
  }

  private static final class Registration {
    static final boolean DONE = TensorFlow.registerCustomGradient("IdentityN", MarkerGradients::gradient);
  }

  /** Whether {@code opName} is a marker that ends in {@code suffix} (or its uniquified form, suffix_N). */
  static boolean isMarker(String opName, String suffix) {
    return opName.endsWith("/" + suffix) || opName.contains("/" + suffix + "_");
  }

  static List<Operand<?>> gradient(Ops tf, GraphOperation op, List<Output<?>> grads) {
    if (isMarker(op.name(), FusedAttention.MARKER)) {
      return FusedAttention.gradient(tf, op, grads);
    }
    if (isMarker(op.name(), GeluRecompute.MARKER_TANH) || isMarker(op.name(), GeluRecompute.MARKER_ERF)) {
      return GeluRecompute.gradient(tf, op, grads);
    }
    List<Operand<?>> out = new ArrayList<>();
    for (int i = 0; i < op.numInputs(); i++) {
      out.add(grads.get(i) != null ? grads.get(i) : tf.zerosLike(op.input(i)));
    }
    return out;
  }
}

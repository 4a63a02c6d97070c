package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.TensorFlow;
import org.tensorflow.op.Ops;

/**
 * The one gradient this process registers for {@code IdentityN}, which the graph rewrites use as a marker: a
 * marker's gradient is the closed form its rewrite wants ({@link FusedAttention}'s and {@link LogSumExpSoftmax}'s
 * softmax, {@link OnePassMoments}' variance, {@link GeluRecompute}'s GELU, {@link FactoredGradients}' adapter
 * factors), and any other IdentityN passes its gradients through unchanged, as Python's TensorFlow does.
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
    static final boolean DONE = register();

    private static boolean register() {
      try {
        return TensorFlow.registerCustomGradient("IdentityN", MarkerGradients::gradient);
      } catch (UnsupportedOperationException e) {
        return false; // TF-Java has no custom gradients on this platform (Windows): the rewrites are skipped
      }
    }
  }

  /**
   * Whether {@code opName}'s last segment is {@code suffix} or its uniquified form (suffix_N): a marker of that
   * rewrite. The whole segment, so that one marker's name never passes for another's (vblora_gelu_tanh inside a
   * longer name, say).
   */
  static boolean isMarker(String opName, String suffix) {
    String last = opName.substring(opName.lastIndexOf('/') + 1);
    if (last.equals(suffix)) {
      return true;
    }
    String number = last.startsWith(suffix + "_") ? last.substring(suffix.length() + 1) : "";
    return !number.isEmpty() && number.chars().allMatch(Character::isDigit);
  }

  static List<Operand<?>> gradient(Ops tf, GraphOperation op, List<Output<?>> grads) {
    if (isMarker(op.name(), FusedAttention.MARKER)) {
      return FusedAttention.gradient(tf, op, grads);
    }
    if (isMarker(op.name(), GeluRecompute.MARKER_TANH) || isMarker(op.name(), GeluRecompute.MARKER_ERF)) {
      return GeluRecompute.gradient(tf, op, grads);
    }
    if (isMarker(op.name(), FactoredGradients.MARKER)) {
      return FactoredGradients.gradient(tf, op, grads);
    }
    if (isMarker(op.name(), LogSumExpSoftmax.MARKER)) {
      return LogSumExpSoftmax.gradient(tf, op, grads);
    }
    if (isMarker(op.name(), OnePassMoments.SCOPE)) {
      return OnePassMoments.gradient(tf, op, grads);
    }
    if (customGradient(op)) {
      // Python's tf.custom_gradient writes its function as an IdentityN tagged with the Python gradient's name;
      // passing gradients through would silently train with the wrong one.
      throw new VbLoraException("op " + op.name() + " is a tf.custom_gradient whose gradient is a Python function, "
          + "which TensorFlow Java cannot run; export the model without it on the trained path, or keep the "
          + "layers around it frozen");
    }
    List<Operand<?>> out = new ArrayList<>();
    for (int i = 0; i < op.numInputs(); i++) {
      out.add(grads.get(i) != null ? grads.get(i) : tf.zerosLike(op.input(i)));
    }
    return out;
  }

  /** Whether the op carries tf.custom_gradient's tag ({@code _gradient_op_type}). */
  private static boolean customGradient(GraphOperation op) {
    try {
      op.attributes().getAttrMetadata("_gradient_op_type");
      return true;
    } catch (RuntimeException e) {
      return false; // no such attribute
    }
  }
}

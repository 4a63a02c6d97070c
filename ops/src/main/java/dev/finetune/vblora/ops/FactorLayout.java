package dev.finetune.vblora.ops;

import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TNumber;

/**
 * Turns composed sub-vectors into TF-layout factors, following PEFT's reshapes exactly:
 * A_pt = compose(logits_A).reshape(r, in) and B_pt = compose(logits_B).transpose(1, 2).reshape(out, r);
 * down = A_pt^T {@code [in, r]} and up = B_pt^T {@code [r, out]}.
 */
final class FactorLayout {
  private FactorLayout() {}

  /** Composed A sub-vectors, {@code [r, in/b, b]} (or any shape with that row-major order) -> down {@code [in, r]}. */
  static <T extends TNumber> Operand<T> down(Ops tf, Operand<T> composedA, LayerShape s, VbLoraDims dims) {
    Operand<T> aPt = tf.reshape(composedA, tf.constant(new long[] {dims.rank(), s.inFeatures()}));
    return tf.linalg.transpose(aPt, tf.constant(new int[] {1, 0}));
  }

  /**
   * Composed B sub-vectors, {@code [out/b, r, b]} (or any shape with that row-major order) -> up {@code [r, out]}.
   * up[i, j*b + c] = B_pt[j*b + c, i] = composed[j, i, c], so one transpose (1, 0, 2) and a reshape suffice.
   */
  static <T extends TNumber> Operand<T> up(Ops tf, Operand<T> composedB, LayerShape s, VbLoraDims dims) {
    long blocks = s.outFeatures() / dims.vectorLength();
    Operand<T> byBlock = tf.reshape(composedB, tf.constant(new long[] {blocks, dims.rank(), dims.vectorLength()}));
    Operand<T> byRank = tf.linalg.transpose(byBlock, tf.constant(new int[] {1, 0, 2}));
    return tf.reshape(byRank, tf.constant(new long[] {dims.rank(), s.outFeatures()}));
  }

  /**
   * Checks what a composition is given before anything is built: the bank and every layer's logits against the
   * dims, and that there is at least one layer.
   */
  static void check(Operand<?> bank, List<? extends LayerLogits<?>> layers, VbLoraDims dims) {
    StaticShapes.requireExactly(bank, dims.bankShape(), "the vector bank (num_vectors " + dims.numVectors()
        + ", vector_length " + dims.vectorLength() + ")");
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("no layers to compose factors for");
    }
    layers.forEach(layer -> check(layer, dims));
  }

  /**
   * Checks what a composition of packed logits is given: the bank, the layers (at least one, each divisible
   * into sub-vectors) and the packed logits against the shapes the layers add up to.
   */
  static void checkPacked(Operand<?> bank, Operand<?> logitsA, Operand<?> logitsB, List<LayerShape> layers,
      VbLoraDims dims) {
    StaticShapes.requireExactly(bank, dims.bankShape(), "the vector bank (num_vectors " + dims.numVectors()
        + ", vector_length " + dims.vectorLength() + ")");
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("no layers to compose factors for");
    }
    layers.forEach(dims::checkDivisible);
    String sizes = " for " + layers.size() + " layers, r " + dims.rank() + ", vector_length "
        + dims.vectorLength() + ", num_vectors " + dims.numVectors() + ",";
    StaticShapes.requireExactly(logitsA, dims.packedLogitsAShape(layers), "the packed logits_A" + sizes);
    StaticShapes.requireExactly(logitsB, dims.packedLogitsBShape(layers), "the packed logits_B" + sizes);
  }

  private static void check(LayerLogits<?> layer, VbLoraDims dims) {
    LayerShape s = layer.shape();
    dims.checkDivisible(s);
    String sizes = " for in_features " + s.inFeatures() + ", out_features " + s.outFeatures() + ", r "
        + dims.rank() + ", vector_length " + dims.vectorLength() + ", num_vectors " + dims.numVectors();
    StaticShapes.requireExactly(layer.logitsA(), dims.logitsAShape(s), "logits_A of layer " + s.name() + sizes + ",");
    StaticShapes.requireExactly(layer.logitsB(), dims.logitsBShape(s), "logits_B of layer " + s.name() + sizes + ",");
  }
}

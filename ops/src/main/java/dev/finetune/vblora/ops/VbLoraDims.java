package dev.finetune.vblora.ops;

import java.util.List;
import java.util.function.ToIntFunction;

/**
 * The sizes that define a VB-LoRA adapter (PEFT's VBLoRAConfig names in brackets).
 *
 * @param numVectors h, the number of vectors in the shared bank (num_vectors)
 * @param vectorLength b, the length of each bank vector and of every sub-vector (vector_length)
 * @param rank r, the rank of every adapted layer's update (r)
 * @param topk k, how many bank vectors are mixed into each sub-vector (topk), {@code 1 <= k <= h}
 */
public record VbLoraDims(int numVectors, int vectorLength, int rank, int topk) {

  public VbLoraDims {
    requirePositive("num_vectors", numVectors);
    requirePositive("vector_length", vectorLength);
    requirePositive("r", rank);
    requirePositive("topk", topk);
    if (topk > numVectors) {
      throw new IllegalArgumentException("topk " + topk + " exceeds num_vectors " + numVectors
          + ": choose topk <= num_vectors");
    }
  }

  /** PEFT's {@code vblora_logits_A} shape {@code [r, in/b, h]}; checks divisibility first. */
  public long[] logitsAShape(LayerShape s) {
    checkDivisible(s);
    return new long[] {rank, s.inFeatures() / vectorLength, numVectors};
  }

  /** PEFT's {@code vblora_logits_B} shape {@code [out/b, r, h]}; checks divisibility first. */
  public long[] logitsBShape(LayerShape s) {
    checkDivisible(s);
    return new long[] {s.outFeatures() / vectorLength, rank, numVectors};
  }

  /**
   * The shape of every layer's logits_A packed side by side along axis 1, {@code [r, M, h]} with M the sum of
   * in/b; checks divisibility first.
   */
  public long[] packedLogitsAShape(List<LayerShape> layers) {
    return new long[] {rank, blocks(layers, LayerShape::inFeatures), numVectors};
  }

  /**
   * The shape of every layer's logits_B packed one after the other along axis 0, {@code [O, r, h]} with O the
   * sum of out/b; checks divisibility first.
   */
  public long[] packedLogitsBShape(List<LayerShape> layers) {
    return new long[] {blocks(layers, LayerShape::outFeatures), rank, numVectors};
  }

  private long blocks(List<LayerShape> layers, ToIntFunction<LayerShape> size) {
    layers.forEach(this::checkDivisible);
    return layers.stream().mapToLong(l -> size.applyAsInt(l) / vectorLength).sum();
  }

  /** The bank shape {@code [h, b]}. */
  public long[] bankShape() {
    return new long[] {numVectors, vectorLength};
  }

  /** Sub-vectors of one layer (A and B together): r * (in + out) / b, i.e. logits rows of length h. */
  public long subVectorCount(LayerShape s) {
    checkDivisible(s);
    return (long) rank * (s.inFeatures() + s.outFeatures()) / vectorLength;
  }

  /** Throws when a kernel dimension cannot be cut into sub-vectors of length b. */
  public void checkDivisible(LayerShape s) {
    checkDivisible(s, "in_features", s.inFeatures());
    checkDivisible(s, "out_features", s.outFeatures());
  }

  private void checkDivisible(LayerShape s, String what, int size) {
    if (size % vectorLength != 0) {
      throw new IllegalArgumentException(what + " " + size + " of layer " + s.name()
          + " is not divisible by vector_length " + vectorLength
          + ": choose a vector_length that divides it, or exclude the layer");
    }
  }

  private static void requirePositive(String what, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(what + " must be at least 1, got " + value);
    }
  }
}

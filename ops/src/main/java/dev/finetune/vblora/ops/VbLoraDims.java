package dev.finetune.vblora.ops;

/**
 * The sizes that define a VB-LoRA adapter (PEFT's VBLoRAConfig names in brackets).
 *
 * @param numVectors h, the number of vectors in the shared bank (num_vectors)
 * @param vectorLength b, the length of each bank vector and of every sub-vector (vector_length)
 * @param rank r, the rank of every adapted layer's update (r)
 * @param topk k, how many bank vectors are mixed into each sub-vector (topk), 1 <= k <= h
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

package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.error.VbLoraException;

/**
 * One adapted module of a LoRA adapter in PEFT's layout: lora_A.weight [r, in] and lora_B.weight [out, r],
 * both row-major. Immutable.
 */
public final class LoraModule {
  private final String path;
  private final int rank;
  private final int inFeatures;
  private final int outFeatures;
  private final float[] loraA;
  private final float[] loraB;

  /**
   * @param loraA [r][in], PEFT's lora_A.weight
   * @param loraB [out][r], PEFT's lora_B.weight
   */
  public static LoraModule of(String path, float[][] loraA, float[][] loraB) {
    int r = loraA.length;
    if (r == 0 || loraB.length == 0) {
      throw new VbLoraException("module " + path + ": lora_A and lora_B must not be empty");
    }
    int in = loraA[0].length;
    float[] a = new float[r * in];
    for (int i = 0; i < r; i++) {
      if (loraA[i].length != in) {
        throw new VbLoraException("module " + path + ": lora_A is ragged");
      }
      System.arraycopy(loraA[i], 0, a, i * in, in);
    }
    float[] b = new float[loraB.length * r];
    for (int o = 0; o < loraB.length; o++) {
      if (loraB[o].length != r) {
        throw new VbLoraException("module " + path + ": lora_B row " + o + " has " + loraB[o].length
            + " columns but lora_A has rank " + r);
      }
      System.arraycopy(loraB[o], 0, b, o * r, r);
    }
    return new LoraModule(path, r, in, loraB.length, a, b);
  }

  /** From row-major arrays: {@code loraA} [r*in], {@code loraB} [out*r]. */
  public LoraModule(String path, int rank, int inFeatures, int outFeatures, float[] loraA, float[] loraB) {
    if (path == null || path.isEmpty()) {
      throw new VbLoraException("module path must not be empty");
    }
    if (rank < 1 || inFeatures < 1 || outFeatures < 1) {
      throw new VbLoraException("module " + path + ": r, in and out must be positive");
    }
    if (loraA.length != (long) rank * inFeatures || loraB.length != (long) outFeatures * rank) {
      throw new VbLoraException("module " + path + ": lora_A needs " + rank + "x" + inFeatures
          + " and lora_B " + outFeatures + "x" + rank + " values, got " + loraA.length + " and " + loraB.length);
    }
    NonFiniteValueException.requireFinite("module " + path + ": lora_A", loraA, rank, inFeatures);
    NonFiniteValueException.requireFinite("module " + path + ": lora_B", loraB, outFeatures, rank);
    this.path = path;
    this.rank = rank;
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.loraA = loraA.clone();
    this.loraB = loraB.clone();
  }

  public String path() {
    return path;
  }

  public int rank() {
    return rank;
  }

  public int inFeatures() {
    return inFeatures;
  }

  public int outFeatures() {
    return outFeatures;
  }

  /** lora_A.weight, row-major [r, in]. */
  public float[] loraA() {
    return loraA.clone();
  }

  /** lora_B.weight, row-major [out, r]. */
  public float[] loraB() {
    return loraB.clone();
  }
}

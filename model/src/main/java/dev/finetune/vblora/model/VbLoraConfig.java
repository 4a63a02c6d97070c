package dev.finetune.vblora.model;

import static dev.finetune.vblora.data.error.InvalidSettingException.require;


/**
 * VB-LoRA hyperparameters, named after PEFT's VBLoRAConfig (r, num_vectors, vector_length, topk, ...).
 *
 * @param rank r, the rank of every adapted layer's update
 * @param numVectors h, vectors in the shared bank
 * @param vectorLength b, length of each bank vector; every adapted d_in and d_out must divide by it
 * @param topk k, bank vectors mixed per sub-vector
 * @param saveOnlyTopkWeights store only top-k indices and weights (not full logits) in adapter files; also
 *     decides which stored-parameter count plans report
 * @param initVectorBankBound bank init U(-bound, bound); PEFT 0.02 (0 gives a zero bank: adapter is a no-op)
 * @param initLogitsStd logits init N(0, std); PEFT 0.1 (paper 0.01)
 * @param dropout dropout on the adapter's input during training, PEFT's vblora_dropout
 * @param seed seed of the initial bank and logits
 *
 * <p>The builder's defaults are the single source of the adapter defaults: TrainConfig and the CLI's help read
 * them from here.
 */
public record VbLoraConfig(
    int rank,
    int numVectors,
    int vectorLength,
    int topk,
    boolean saveOnlyTopkWeights,
    double initVectorBankBound,
    double initLogitsStd,
    double dropout,
    long seed) {

  public VbLoraConfig {
    // Messages use the API's names, as TrainConfig's do (the command line shows them as its options, --num-vectors).
    require(rank >= 1, "rank (PEFT's r) must be at least 1, got " + rank, "rank");
    require(numVectors >= 1, "numVectors must be at least 1, got " + numVectors, "numVectors");
    require(vectorLength >= 1, "vectorLength must be at least 1, got " + vectorLength, "vectorLength");
    require(topk >= 1 && topk <= numVectors, "topk must be between 1 and numVectors " + numVectors + ", got " + topk,
        "topk");
    require(initVectorBankBound >= 0, "initVectorBankBound must not be negative, got " + initVectorBankBound,
        "initVectorBankBound");
    require(initLogitsStd >= 0, "initLogitsStd must not be negative, got " + initLogitsStd, "initLogitsStd");
    require(dropout >= 0 && dropout < 1, "vbloraDropout must be in [0, 1), got " + dropout, "vbloraDropout");
  }

  /**
   * PEFT's defaults: r 4, num_vectors 256, vector_length 256, topk 2, bound 0.02, std 0.1, dropout 0; seed 42
   * (the CLI's documented --seed default, shared with LoRA and training).
   */
  public static Builder builder() {
    return new Builder();
  }

  /** A copy with other values. */
  public Builder toBuilder() {
    return new Builder().rank(rank).numVectors(numVectors).vectorLength(vectorLength).topk(topk)
        .saveOnlyTopkWeights(saveOnlyTopkWeights).initVectorBankBound(initVectorBankBound)
        .initLogitsStd(initLogitsStd).dropout(dropout).seed(seed);
  }


  /** Builder with PEFT's defaults. */
  public static final class Builder {
    private int rank = 4;
    private int numVectors = 256;
    private int vectorLength = 256;
    private int topk = 2;
    private boolean saveOnlyTopkWeights = true;
    private double initVectorBankBound = 0.02;
    private double initLogitsStd = 0.1;
    private double dropout = 0.0;
    private long seed = 42;

    private Builder() {}

    public Builder rank(int value) {
      rank = value;
      return this;
    }

    public Builder numVectors(int value) {
      numVectors = value;
      return this;
    }

    public Builder vectorLength(int value) {
      vectorLength = value;
      return this;
    }

    public Builder topk(int value) {
      topk = value;
      return this;
    }

    public Builder saveOnlyTopkWeights(boolean value) {
      saveOnlyTopkWeights = value;
      return this;
    }

    public Builder initVectorBankBound(double value) {
      initVectorBankBound = value;
      return this;
    }

    public Builder initLogitsStd(double value) {
      initLogitsStd = value;
      return this;
    }

    public Builder dropout(double value) {
      dropout = value;
      return this;
    }

    public Builder seed(long value) {
      seed = value;
      return this;
    }

    public VbLoraConfig build() {
      return new VbLoraConfig(rank, numVectors, vectorLength, topk, saveOnlyTopkWeights, initVectorBankBound,
          initLogitsStd, dropout, seed);
    }
  }
}

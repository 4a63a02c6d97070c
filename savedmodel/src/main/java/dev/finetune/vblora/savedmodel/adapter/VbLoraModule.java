package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.error.VbLoraException;

/**
 * One adapted module of a VB-LoRA adapter: its path (the tensor-name stem, e.g.
 * {@code bert.encoder.layer.0.attention.self.query}) and the logits of its two factors.
 *
 * @param path module path
 * @param logitsA PEFT's vblora_logits_A, [r, in/b, h]
 * @param logitsB PEFT's vblora_logits_B, [out/b, r, h]
 */
public record VbLoraModule(String path, SubVectorLogits logitsA, SubVectorLogits logitsB) {
  public VbLoraModule {
    if (path == null || path.isEmpty()) {
      throw new VbLoraException("module path must not be empty");
    }
    if (logitsA.rows() != logitsB.cols()) {
      throw new VbLoraException("module " + path + ": logits_A has rank " + logitsA.rows()
          + " (its first dimension) but logits_B has rank " + logitsB.cols() + " (its second dimension)");
    }
    if (logitsA.numVectors() != logitsB.numVectors()) {
      throw new VbLoraException("module " + path + ": logits_A mixes " + logitsA.numVectors()
          + " bank vectors but logits_B " + logitsB.numVectors());
    }
    if (logitsA.getClass() != logitsB.getClass()) {
      throw new VbLoraException("module " + path
          + ": logits_A and logits_B must both be full logits or both top-k");
    }
    if (logitsA instanceof TopKLogits a && logitsB instanceof TopKLogits b && a.k() != b.k()) {
      throw new VbLoraException("module " + path + ": logits_A keeps top-" + a.k()
          + " but logits_B top-" + b.k());
    }
  }

  public int rank() {
    return logitsA.rows();
  }

  /** in_features for bank vectors of length {@code vectorLength}. */
  public int inFeatures(int vectorLength) {
    return logitsA.cols() * vectorLength;
  }

  /** out_features for bank vectors of length {@code vectorLength}. */
  public int outFeatures(int vectorLength) {
    return logitsB.rows() * vectorLength;
  }

  public boolean isTopK() {
    return logitsA instanceof TopKLogits;
  }

  /** This module with only the top-k choice kept. */
  public VbLoraModule toTopK(int k) {
    return new VbLoraModule(path, logitsA.toTopK(k), logitsB.toTopK(k));
  }

  /** Full logits (or top-k entries) this module stands for: (rows*cols) of A and of B, times h. */
  long logitCount() {
    return ((long) logitsA.subVectorCount() + logitsB.subVectorCount()) * logitsA.numVectors();
  }
}

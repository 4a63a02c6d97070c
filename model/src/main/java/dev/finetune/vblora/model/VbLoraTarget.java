package dev.finetune.vblora.model;

import java.util.List;

/**
 * One kernel's VB-LoRA parameters, in PEFT's shapes.
 *
 * @param kernel the adapted kernel
 * @param logitsAShape [r, d_in / b, h]
 * @param logitsBShape [d_out / b, r, h]
 */
public record VbLoraTarget(Kernel kernel, List<Long> logitsAShape, List<Long> logitsBShape) {
  public VbLoraTarget {
    logitsAShape = List.copyOf(logitsAShape);
    logitsBShape = List.copyOf(logitsBShape);
  }

  /** Sub-vectors (of length b) that make up this kernel's A and B: r*d_in/b + r*d_out/b. */
  public long subVectors() {
    return logitsAShape.get(0) * logitsAShape.get(1) + logitsBShape.get(0) * logitsBShape.get(1);
  }

  /** Number of logits (trainable). */
  public long logits() {
    return subVectors() * logitsAShape.get(2);
  }
}

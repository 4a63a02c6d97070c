package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.InvalidSettingException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A kernel whose sizes do not divide VB-LoRA's vector length: its factors cannot be cut into bank-sized
 * sub-vectors. Carries the sizes and the vector lengths that would fit, so that a dry run can mark the kernel
 * instead of failing.
 */
public final class VectorLengthMismatchException extends InvalidSettingException {
  private static final long serialVersionUID = 1L;

  private final String kernel;
  private final long inFeatures;
  private final long outFeatures;
  private final long vectorLength;

  VectorLengthMismatchException(Kernel kernel, long vectorLength, List<Long> fittingAllTargets) {
    super("vectorLength", (kernel.inFeatures() % vectorLength != 0 ? "in_features " + kernel.inFeatures()
        : "out_features " + kernel.outFeatures()) + " of kernel " + kernel.name()
        + " is not divisible by vector_length " + vectorLength + "; choose a vector_length that divides every "
        + "target's sizes (" + (fittingAllTargets.isEmpty() ? "none above 1 does" : joined(fittingAllTargets))
        + ") or leave this kernel out");
    this.kernel = kernel.name();
    this.inFeatures = kernel.inFeatures();
    this.outFeatures = kernel.outFeatures();
    this.vectorLength = vectorLength;
  }

  /** The kernel's name. */
  public String kernel() {
    return kernel;
  }

  /** The vector lengths above 1 that divide both of this kernel's sizes, ascending. */
  public List<Long> fittingVectorLengths() {
    return VbLoraPlan.commonDivisors(List.of(inFeatures, outFeatures));
  }

  /** For a listing: {@code sizes 312x312 do not divide vector_length 256; vector lengths that do: 2, 3, 4, ...}. */
  public String mark() {
    List<Long> fitting = fittingVectorLengths();
    return "sizes " + inFeatures + "x" + outFeatures + " do not divide vector_length " + vectorLength
        + (fitting.isEmpty() ? "; no vector length above 1 does" : "; vector lengths that do: " + joined(fitting));
  }

  static String joined(List<Long> lengths) {
    return lengths.stream().map(String::valueOf).collect(Collectors.joining(", "));
  }
}

package dev.finetune.vblora.ops;

import java.util.Objects;

/**
 * One adapted linear map, in TF layout: its kernel W is {@code [inFeatures, outFeatures]} and y = x W.
 *
 * @param name the layer's name, used in error messages (e.g. the kernel variable's name)
 * @param inFeatures rows of the kernel (d_in)
 * @param outFeatures columns of the kernel (d_out)
 */
public record LayerShape(String name, int inFeatures, int outFeatures) {

  public LayerShape {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) {
      throw new IllegalArgumentException("a layer needs a non-blank name");
    }
    if (inFeatures <= 0 || outFeatures <= 0) {
      throw new IllegalArgumentException("layer " + name + " has kernel shape [" + inFeatures + ", "
          + outFeatures + "]; in_features and out_features must both be positive");
    }
  }

  /** The TF kernel shape {@code [inFeatures, outFeatures]}. */
  public long[] kernelShape() {
    return new long[] {inFeatures, outFeatures};
  }
}

package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A VB-LoRA adapter plan: one shared bank [h, b] and per kernel logits for its A and B sub-vectors.
 *
 * @param config hyperparameters
 * @param targets per kernel shapes, in discovery order
 */
public record VbLoraPlan(VbLoraConfig config, List<VbLoraTarget> targets) implements AdapterPlan {
  public VbLoraPlan {
    targets = List.copyOf(targets);
    if (targets.isEmpty()) {
      throw new VbLoraException("a VB-LoRA plan needs at least one target kernel");
    }
  }

  /**
   * Plans VB-LoRA for {@code kernels}.
   *
   * @throws VectorLengthMismatchException when a kernel's d_in or d_out does not divide by vector_length; the
   *     message names the kernel, the size and the vector lengths that would fit every target
   */
  public static VbLoraPlan of(List<Kernel> kernels, VbLoraConfig config) {
    long r = config.rank();
    long h = config.numVectors();
    long b = config.vectorLength();
    List<VbLoraTarget> targets = new ArrayList<>();
    for (Kernel kernel : kernels) {
      if (kernel.inFeatures() % b != 0 || kernel.outFeatures() % b != 0) {
        throw new VectorLengthMismatchException(kernel, b, fittingVectorLengths(kernels));
      }
      targets.add(new VbLoraTarget(kernel,
          List.of(r, kernel.inFeatures() / b, h), List.of(kernel.outFeatures() / b, r, h)));
    }
    return new VbLoraPlan(config, targets);
  }

  /** The vector lengths above 1 that divide the sizes of every one of {@code kernels}, ascending. */
  public static List<Long> fittingVectorLengths(List<Kernel> kernels) {
    return commonDivisors(kernels.stream().flatMap(k -> Stream.of(k.inFeatures(), k.outFeatures())).toList());
  }

  /** The numbers above 1 that divide every one of {@code sizes}, ascending: the vector lengths that fit them. */
  static List<Long> commonDivisors(List<Long> sizes) {
    long gcd = 0;
    for (long size : sizes) {
      long a = gcd;
      long c = size;
      while (c != 0) {
        long rest = a % c;
        a = c;
        c = rest;
      }
      gcd = a;
    }
    List<Long> divisors = new ArrayList<>();
    for (long d = 2; d <= gcd; d++) {
      if (gcd % d == 0) {
        divisors.add(d);
      }
    }
    return divisors;
  }

  @Override
  public String method() {
    return "vblora";
  }

  @Override
  public List<Kernel> kernels() {
    return targets.stream().map(VbLoraTarget::kernel).collect(Collectors.toList());
  }

  /** [h, b]. */
  public List<Long> bankShape() {
    return List.of((long) config.numVectors(), (long) config.vectorLength());
  }

  /** Sub-vectors over all targets. */
  public long subVectors() {
    return targets.stream().mapToLong(VbLoraTarget::subVectors).sum();
  }

  /** Bank plus every logit. */
  @Override
  public long trainableParams() {
    return (long) config.numVectors() * config.vectorLength()
        + targets.stream().mapToLong(VbLoraTarget::logits).sum();
  }

  /** {@link #topkStoredParams()} when the config saves only top-k weights, else {@link #trainableParams()}. */
  @Override
  public double dropout() {
    return config.dropout();
  }

  @Override
  public long storedParams() {
    return config.saveOnlyTopkWeights() ? topkStoredParams() : trainableParams();
  }

  /**
   * The paper's count of what VB-LoRA keeps, in float32 equivalents, computed as PEFT does: the bank plus, per
   * sub-vector, k-1 weights and k indices (an index counts 1/4, 1/2, 1 or 2 floats for uint8, int16, int32,
   * int64, chosen by h), rounded down. For k=2 and uint8 this is the paper's h*b + 3*L*M*r*(d/b).
   */
  public long topkStoredParams() {
    long quartersPerIndex = indexQuarters(config.numVectors());
    long k = config.topk();
    long s = subVectors();
    long quarters = 4L * config.numVectors() * config.vectorLength() + 4L * s * (k - 1) + s * k * quartersPerIndex;
    return quarters / 4;
  }

  /** Index width in quarter floats: PEFT stores indices as uint8 below 2^8 vectors, int16 below 2^15, ... */
  static long indexQuarters(long numVectors) {
    if (numVectors < (1L << 8)) {
      return 1;
    }
    if (numVectors < (1L << 15)) {
      return 2;
    }
    return numVectors < (1L << 31) ? 4 : 8;
  }
}

package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A LoRA baseline plan: per kernel a down [d_in, r] and an up [r, d_out] factor.
 *
 * @param config hyperparameters
 * @param targets per kernel shapes, in discovery order
 */
public record LoraPlan(LoraConfig config, List<LoraTarget> targets) implements AdapterPlan {
  public LoraPlan {
    targets = List.copyOf(targets);
    if (targets.isEmpty()) {
      throw new VbLoraException("a LoRA plan needs at least one target kernel");
    }
  }

  /** Plans LoRA for {@code kernels}. */
  public static LoraPlan of(List<Kernel> kernels, LoraConfig config) {
    long r = config.rank();
    return new LoraPlan(config, kernels.stream()
        .map(k -> new LoraTarget(k, List.of(k.inFeatures(), r), List.of(r, k.outFeatures())))
        .collect(Collectors.toList()));
  }

  @Override
  public String method() {
    return "lora";
  }

  @Override
  public List<Kernel> kernels() {
    return targets.stream().map(LoraTarget::kernel).collect(Collectors.toList());
  }

  @Override
  public long trainableParams() {
    return targets.stream().mapToLong(LoraTarget::params).sum();
  }

  /** LoRA keeps every trained factor. */
  @Override
  public double dropout() {
    return config.dropout();
  }

  @Override
  public long storedParams() {
    return trainableParams();
  }
}

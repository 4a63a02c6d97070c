package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.model.UpdateForm;
import dev.finetune.vblora.training.TrainingDefaults;
import dev.finetune.vblora.training.device.Device;
import dev.finetune.vblora.training.device.DeviceOptions;
import dev.finetune.vblora.training.device.Precision;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code --device --xla --precision --log-placement --intra-op-threads --inter-op-threads} (and, for the commands
 * that train, {@code --fused-attention}): how every session of a command is set up (train, eval and bench share
 * them), read into a {@link DeviceOptions}.
 */
final class SessionOptions {
  static final String SESSION = "Session";

  private SessionOptions() {}

  static List<OptionSpec> specs() {
    // The defaults are the library's: DeviceOptions on the device train defaults to.
    DeviceOptions d = DeviceOptions.defaults(Device.parse(TrainDefaults.CONFIG.device()));
    return Stream.of(
        OptionSpec.optional("device", "cpu|gpu", "where to compute; gpu needs the -Pgpu build (./vblora --device "
            + "gpu), CUDA 12 and cuDNN 9", TrainDefaults.CONFIG.device()).typed(ValueType.oneOf("cpu", "gpu")),
        OptionSpec.flag("xla", "XLA (default on for gpu, off for cpu): auto-clustering, and on gpu each staged "
            + "training step as one XLA program; on cpu it needs TF_XLA_FLAGS=--tf_xla_cpu_global_jit", null),
        OptionSpec.optional("precision", "fp32|fp16|bf16", "mixed precision: matmuls in fp16 (gpu) or bf16 "
            + "(TensorFlow's rewrite, on gpu vblora's own; every variable, trainable ones included, stays fp32)",
            d.precision().label())
            .typed(ValueType.oneOf("fp32", "fp16", "bf16")),
        OptionSpec.flag("log-placement", "TensorFlow logs every op's device on stderr"),
        OptionSpec.optional("intra-op-threads", "N", "threads inside one op (0: TensorFlow's choice)",
            Integer.toString(d.intraOpThreads()))
            .typed(ValueType.INTEGER),
        OptionSpec.optional("inter-op-threads", "N", "ops run side by side (0: TensorFlow's choice)",
            Integer.toString(d.interOpThreads()))
            .typed(ValueType.INTEGER))
        .map(o -> o.in(SESSION)).toList();
  }

  /**
   * {@code --fused-attention}: for the commands that build a training graph (train, bench, demo); eval's prediction
   * graph never takes the fused form, so eval does not offer it.
   */
  static OptionSpec fusedAttentionSpec() {
    return OptionSpec.flag("fused-attention", "gpu, bf16: each layer's attention as cuDNN's fused flash-attention "
        + "kernels, through XLA (./vblora sets XLA_FLAGS=--xla_gpu_enable_cudnn_fmha=true for it and leaves XLA's "
        + "persistent cache off, which cannot hold these kernels)").in(SESSION);
  }

  /** {@code --update-form}: for the commands that build an adapted training graph (train, bench). */
  static OptionSpec updateFormSpec() {
    return OptionSpec.optional("update-form", "auto|low-rank|merged|merged-factored", "how adapted MatMuls apply "
        + "the update: x W + (x A) B (low-rank) or x (W + A B) (merged; no adapter dropout), merged-factored: merged, "
        + "with the adapter's gradients through A and B instead of the dense x^T dy; same results, different speed. "
        + "auto: on gpu without adapter dropout merged-factored in fp32, merged in bf16/fp16; else low-rank", "auto")
        .typed(ValueType.oneOf("auto", "low-rank", "merged", "merged-factored")).in(SESSION);
  }

  /** The update form asked for; empty for auto (decided by device and dropout). */
  static Optional<UpdateForm> updateForm(ParsedArgs args) {
    String value = args.stringOrDefault("update-form");
    if (value.trim().equalsIgnoreCase("auto")) {
      return Optional.empty();
    }
    try {
      return Optional.of(UpdateForm.parse(value));
    } catch (IllegalArgumentException e) {
      throw new UsageError("--update-form takes auto, low-rank, merged or merged-factored, got '" + value + "'");
    }
  }

  static DeviceOptions read(ParsedArgs args) {
    Device device;
    Precision precision;
    try {
      device = Device.parse(args.stringOrDefault("device"));
      precision = Precision.parse(args.stringOrDefault("precision"));
    } catch (IllegalArgumentException e) {
      throw new UsageError(e.getMessage());
    }
    DeviceOptions options = DeviceOptions.defaults(device)
        .withXla(args.bool("xla", device == Device.GPU))
        .withLogPlacement(args.flag("log-placement"))
        .withThreads(args.integerOrDefault("intra-op-threads"), args.integerOrDefault("inter-op-threads"));
    try {
      return options.withPrecision(precision)
          .withFusedAttention(args.declares("fused-attention") && args.flag("fused-attention"));
    } catch (IllegalArgumentException e) {
      throw new UsageError(e.getMessage());
    }
  }
}

package dev.finetune.vblora.training.device;

import dev.finetune.vblora.training.StepLaunch;
import dev.finetune.vblora.training.TrainingDefaults;
import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.model.AttentionForm;
import dev.finetune.vblora.model.GemmPrecision;
import dev.finetune.vblora.model.MomentsForm;
import dev.finetune.vblora.model.SoftmaxForm;
import dev.finetune.vblora.model.TailForm;
import java.util.List;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GPUOptions;
import org.tensorflow.proto.GraphOptions;
import org.tensorflow.proto.OptimizerOptions;
import org.tensorflow.proto.RewriterConfig;

/**
 * How a session is set up: device, XLA, precision, placement logging and thread pools. One record turns into
 * the session's {@link ConfigProto}, so every command that opens a session sets these the same way.
 *
 * @param device CPU (default) or GPU
 * @param xla XLA auto-clustering (global_jit_level ON_1); on by default on GPU, off on CPU, where TensorFlow
 *     only honours it when the process starts with {@code TF_XLA_FLAGS=--tf_xla_cpu_global_jit} (see
 *     {@link XlaCpuFlag})
 * @param precision float32, fp16 (GPU) or bf16 (see {@link Precision}: TensorFlow's rewrites, vblora's bf16 on GPUs)
 * @param logPlacement log_device_placement: TensorFlow prints every op's device on stderr
 * @param intraOpThreads threads inside one op; 0 lets TensorFlow choose (one per core)
 * @param interOpThreads ops run side by side; 0 lets TensorFlow choose
 * @param fusedAttention a bf16 training graph's attention cores in the form XLA's cuDNN fused-attention rewriter
 *     matches, one flash-attention kernel per layer forward and one backward (see {@link FusedAttentionFlags}
 *     for what the process needs; GPU, bf16 and XLA only; off by default)
 */
public record DeviceOptions(Device device, boolean xla, Precision precision, boolean logPlacement,
    int intraOpThreads, int interOpThreads, boolean fusedAttention) {

  public DeviceOptions {
    if (device == null || precision == null) {
      throw new VbLoraException("device and precision must be given");
    }
    if (intraOpThreads < 0 || interOpThreads < 0) {
      throw new InvalidSettingException(List.of("intraOpThreads", "interOpThreads"),
          "thread counts must be 0 (TensorFlow's choice) or more, got intra-op "
          + intraOpThreads + ", inter-op " + interOpThreads);
    }
    if (!precision.supportedOn(device)) {
      throw new InvalidSettingException(List.of("precision", "device"), "precision " + precision.label()
          + " is not available on " + device.label() + ": TensorFlow rewrites to fp16 on GPUs only; use precision "
          + "bf16 or fp32");
    }
    if (fusedAttention && (device != Device.GPU || precision != Precision.BF16 || !xla)) {
      throw new InvalidSettingException(List.of("fusedAttention", "device", "precision", "xla"), "fused attention "
          + "is cuDNN's, which XLA calls on a GPU for bfloat16 attention; it needs device gpu, precision bf16 and "
          + "XLA on, got " + device.label() + ", " + precision.label() + ", XLA " + (xla ? "on" : "off"));
    }
  }

  /** As the record's constructor, without fused attention (the default). */
  public DeviceOptions(Device device, boolean xla, Precision precision, boolean logPlacement, int intraOpThreads,
      int interOpThreads) {
    this(device, xla, precision, logPlacement, intraOpThreads, interOpThreads, false);
  }

  /** The default: CPU, no XLA, float32, TensorFlow's thread pools. */
  public static DeviceOptions cpu() {
    return defaults(Device.CPU);
  }

  /** GPU with XLA on, float32. */
  public static DeviceOptions gpu() {
    return defaults(Device.GPU);
  }

  /** The defaults of a device: XLA on for GPU, off for CPU. */
  public static DeviceOptions defaults(Device device) {
    return new DeviceOptions(device, device == Device.GPU, TrainingDefaults.PRECISION, false, 0, 0);
  }

  public DeviceOptions withXla(boolean value) {
    return new DeviceOptions(device, value, precision, logPlacement, intraOpThreads, interOpThreads,
        fusedAttention && value);
  }

  public DeviceOptions withPrecision(Precision value) {
    return new DeviceOptions(device, xla, value, logPlacement, intraOpThreads, interOpThreads, fusedAttention);
  }

  public DeviceOptions withLogPlacement(boolean value) {
    return new DeviceOptions(device, xla, precision, value, intraOpThreads, interOpThreads, fusedAttention);
  }

  public DeviceOptions withThreads(int intraOp, int interOp) {
    return new DeviceOptions(device, xla, precision, logPlacement, intraOp, interOp, fusedAttention);
  }

  public DeviceOptions withFusedAttention(boolean value) {
    return new DeviceOptions(device, xla, precision, logPlacement, intraOpThreads, interOpThreads, value);
  }

  /** How a training graph writes its attention cores: fused when asked for (bf16 on a GPU only). */
  public AttentionForm attentionForm() {
    return fusedAttention ? AttentionForm.FUSED : AttentionForm.AS_EXPORTED;
  }

  /**
   * Where a training graph runs its encoder's position-wise tail: at the one position the outputs read when XLA
   * compiles the step, whose fusion already moves a forward pass by ~1e-5 from the untouched graph (the tail's
   * smaller products move it by a rounding of the last bit); at every position otherwise, so that a zero adapter
   * reproduces the model bit for bit.
   */
  public TailForm tailForm() {
    return xla ? TailForm.ONE_POSITION : TailForm.AS_EXPORTED;
  }

  /**
   * How a training graph writes its float32 Softmax ops: from the log-sum-exp when XLA compiles the step, which then
   * writes one attention-sized tensor less per softmax; without XLA, TensorFlow's own Softmax kernel runs, as the
   * form was measured only under XLA; fp16 keeps the model's own, because its mixed precision is Grappler's rewrite
   * of the session's graph.
   */
  public SoftmaxForm softmaxForm() {
    return xla && precision != Precision.FP16 ? SoftmaxForm.LOG_SUM_EXP : SoftmaxForm.AS_EXPORTED;
  }

  /**
   * How a training graph writes the float32 variances of tf.nn.moments (LayerNorm's): in one pass with the mean, with
   * the model's own float32 gradient ({@link MomentsForm#ONE_PASS_EXPORTED_GRADIENT}) when XLA compiles the step.
   * XLA then computes each LayerNorm's mean and variance in one reduction over x instead of two (25 reductions fewer
   * a BERT-base step), and the backward pass is the exported form's, without the 25 element-wise kernels that
   * TensorFlow's derivative of {@link MomentsForm#ONE_PASS}' float64 ops added. On an H100, ONE_PASS took 0.09 ms
   * off the bf16 steps and up to 0.03 ms off fp32 q,v (lease AE); the exported gradient took another 0.06 ms off
   * fp32 q,v and 0.03 ms off fp32 all-linear (lease AF; docs/benchmarks.md, "LayerNorm's variance in one pass with its
   * mean" and "the one-pass moments with the model's own gradient"). Without XLA, TensorFlow's kernels run the form
   * as exported; fp16 keeps the model's own, because its mixed precision is Grappler's rewrite of the session's graph
   * and was not measured with it.
   */
  public MomentsForm momentsForm() {
    return xla && precision != Precision.FP16 ? MomentsForm.ONE_PASS_EXPORTED_GRADIENT : MomentsForm.AS_EXPORTED;
  }

  /**
   * How a training graph's staged step is handed to XLA: on a GPU under XLA as one XlaLaunch program that updates
   * its variables in place (see {@link StepLaunch#WHOLE}); as built otherwise. A CPU keeps auto-clustering, which
   * compiles only when the process asks for it ({@link XlaCpuFlag}) and has no command buffer to keep valid; fp16
   * keeps it too, because its mixed precision is Grappler's rewrite of the session's graph, which the program's
   * function body is not shown to get (lease AA measured fp32 and bf16 only).
   */
  public StepLaunch stepLaunch() {
    return device == Device.GPU && xla && precision != Precision.FP16 ? StepLaunch.WHOLE : StepLaunch.CLUSTERED;
  }

  /**
   * The arithmetic a training graph's data-path products are built in: bfloat16 for bf16 on a GPU, where
   * TensorFlow has no session rewrite for it; float32 otherwise (fp16, and bf16 on a CPU, are the session's).
   */
  public GemmPrecision gemmPrecision() {
    return device == Device.GPU && precision == Precision.BF16 ? GemmPrecision.BFLOAT16 : GemmPrecision.FLOAT32;
  }

  /**
   * Refuses a precision that only a training graph can apply, for commands that run a SavedModel as it is (as
   * TF Serving loads it).
   *
   * @param command what runs the model, for the message, e.g. {@code eval}
   */
  public void requireSessionPrecision(String command) {
    if (gemmPrecision() != GemmPrecision.FLOAT32) {
      throw new InvalidSettingException(List.of("precision", "device"), command + " runs the SavedModel as TF Serving"
          + " loads it, and bf16 on the GPU is a rewrite of the training graph (TensorFlow's session rewrite on GPUs"
          + " is fp16 only); use precision fp16 or fp32 for " + command);
    }
  }

  /**
   * The session configuration.
   *
   * <ul>
   *   <li>GPU: allow_growth (memory is taken as needed, so device memory readings mean something) and no
   *       soft placement, so an op pinned to the GPU without a GPU kernel fails instead of silently running
   *       on the host. Ops that are not pinned and have no GPU kernel still land on the CPU: {@link
   *       PlacementCheck} lists them.
   *   <li>CPU: device_count GPU = 0, so that a GPU build asked for CPU really computes on the CPU.
   *   <li>XLA: global_jit_level ON_1 (auto-clustering), else OFF; where XLA takes effect, Grappler's debug
   *       stripper (Asserts split clusters) and, on the CPU, no remapper (its fused MatMuls split them too).
   *       Without {@link XlaCpuFlag} a CPU session asked for XLA keeps TensorFlow's plain rewrites, so it
   *       computes exactly what a session without XLA does.
   *   <li>fp16: Grappler's auto_mixed_precision; bf16 on the CPU: auto_mixed_precision_onednn_bfloat16 (bf16 on
   *       the GPU is the graph's, see {@link #gemmPrecision}).
   * </ul>
   *
   * @throws InvalidSettingException with fused attention, when the process was not started with the flags it
   *     needs ({@link FusedAttentionFlags})
   */
  public ConfigProto toConfigProto() {
    if (fusedAttention) {
      FusedAttentionFlags.require();
    }
    return toConfigProto(XlaCpuFlag.enabled());
  }

  /** @param cpuXlaFlag whether the process started with {@link XlaCpuFlag} (else XLA on the CPU is a no-op) */
  ConfigProto toConfigProto(boolean cpuXlaFlag) {
    ConfigProto.Builder config = ConfigProto.newBuilder()
        .setLogDevicePlacement(logPlacement)
        .setAllowSoftPlacement(false);
    if (intraOpThreads > 0) {
      config.setIntraOpParallelismThreads(intraOpThreads);
    }
    if (interOpThreads > 0) {
      config.setInterOpParallelismThreads(interOpThreads);
    }
    if (device == Device.GPU) {
      config.setGpuOptions(GPUOptions.newBuilder().setAllowGrowth(true));
    } else {
      config.putDeviceCount("GPU", 0);
    }
    GraphOptions.Builder graph = GraphOptions.newBuilder().setOptimizerOptions(OptimizerOptions.newBuilder()
        .setGlobalJitLevel(xla ? OptimizerOptions.GlobalJitLevel.ON_1 : OptimizerOptions.GlobalJitLevel.OFF));
    RewriterConfig.Builder rewrites = RewriterConfig.newBuilder();
    if (precision == Precision.FP16) {
      rewrites.setAutoMixedPrecision(RewriterConfig.Toggle.ON);
    } else if (precision == Precision.BF16 && device == Device.CPU) {
      rewrites.setAutoMixedPrecisionOnednnBfloat16(RewriterConfig.Toggle.ON);
    }
    if (xla && (device == Device.GPU || cpuXlaFlag)) {
      // An Assert has no XLA kernel, so BERT's one (sequence length <= position table, in the embeddings)
      // cuts the step into two clusters with a device-to-host copy and a host wait between them. Grappler's
      // debug stripper turns Asserts into no-ops before clustering; the length is checked in Java instead
      // (the signature's fixed input length, see TrainingGraph).
      rewrites.setDebugStripper(RewriterConfig.Toggle.ON);
      if (device == Device.CPU) {
        // The CPU remapper fuses MatMul + BiasAdd into _FusedMatMul, which XLA cannot compile: with it the
        // step fell apart into ~50 clusters.
        rewrites.setRemapping(RewriterConfig.Toggle.OFF);
      }
    }
    if (!rewrites.build().equals(RewriterConfig.getDefaultInstance())) {
      graph.setRewriteOptions(rewrites);
    }
    return config.setGraphOptions(graph).build();
  }

  /** e.g. {@code gpu, XLA on, fp32, threads intra 0 / inter 0}. */
  public String describe() {
    return device.label() + ", XLA " + (xla ? "on" : "off") + ", " + precision.label()
        + (fusedAttention ? ", fused attention" : "")
        + (intraOpThreads > 0 || interOpThreads > 0
            ? ", threads intra " + intraOpThreads + " / inter " + interOpThreads : "");
  }
}

package dev.finetune.vblora.training.device;

import java.util.Optional;

/**
 * XLA auto-clustering on the CPU: TensorFlow ignores global_jit_level for CPU devices unless the process was
 * started with {@code TF_XLA_FLAGS=--tf_xla_cpu_global_jit}. TensorFlow reads that variable once, natively, so
 * it cannot be set from Java after the start; this class tells whether it is set, so that a CPU run asked
 * for XLA can say that it will not get it.
 */
public final class XlaCpuFlag {
  public static final String VARIABLE = "TF_XLA_FLAGS";
  public static final String FLAG = "--tf_xla_cpu_global_jit";

  private XlaCpuFlag() {}

  /** Whether the process environment enables XLA auto-clustering on CPU devices. */
  public static boolean enabled() {
    return enabledIn(Optional.ofNullable(System.getenv(VARIABLE)).orElse(""));
  }

  static boolean enabledIn(String flags) {
    return FlagString.enabled(flags, FLAG);
  }

  /** What to tell a user who asked for XLA on the CPU without the flag. */
  public static String hint() {
    return "XLA on the CPU needs the environment variable " + VARIABLE + "=" + FLAG
        + " when the process starts; without it TensorFlow runs the graph without XLA";
  }
}

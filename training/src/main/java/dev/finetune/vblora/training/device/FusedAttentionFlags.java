package dev.finetune.vblora.training.device;

import dev.finetune.vblora.data.error.InvalidSettingException;
import java.util.List;
import java.util.Optional;

/**
 * What a process needs for fused attention ({@link DeviceOptions#fusedAttention}), read from its environment:
 * XLA reads its flags once, natively, when the process starts, so Java cannot set them; the {@code vblora}
 * launcher does for {@code --fused-attention} (see docs/cli.md).
 *
 * <ul>
 *   <li>{@code XLA_FLAGS} with {@value #FLAG}: XLA's cuDNN fused-attention rewriter is off by default; without it
 *       the graph's fused form runs unfused.
 *   <li>No persistent compilation cache ({@link XlaCompileCache}): TensorFlow 2.18 writes the cuDNN programs of
 *       fused attention into its cache entries in a form it cannot read back ("Failed to parse serialized
 *       GpuThunkAotCompilationResult"), so the next run with the same shapes would fail on its first step
 *       (docs/benchmarks.md, lease T).
 * </ul>
 */
public final class FusedAttentionFlags {
  public static final String VARIABLE = "XLA_FLAGS";
  public static final String FLAG = "--xla_gpu_enable_cudnn_fmha";

  private FusedAttentionFlags() {}

  /**
   * @throws InvalidSettingException naming what to change when this process's environment lacks the XLA flag or
   *     names a persistent compilation cache
   */
  public static void require() {
    requireIn(Optional.ofNullable(System.getenv(VARIABLE)).orElse(""),
        Optional.ofNullable(System.getenv(XlaCompileCache.VARIABLE)).orElse(""));
  }

  static void requireIn(String xlaFlags, String tfXlaFlags) {
    if (!enabledIn(xlaFlags)) {
      throw new InvalidSettingException(List.of("fusedAttention"), "fused attention needs XLA's cuDNN "
          + "fused-attention rewriter, which is off unless the process starts with " + VARIABLE + "=" + FLAG
          + "=true (./vblora sets it for --fused-attention); start the JVM with it, or train without fused "
          + "attention");
    }
    XlaCompileCache.directoryIn(tfXlaFlags).ifPresent(cache -> {
      throw new InvalidSettingException(List.of("fusedAttention"), "fused attention cannot use XLA's persistent "
          + "compilation cache (" + cache + "): TensorFlow 2.18 stores its cuDNN programs in a form it cannot read "
          + "back, so the next run would fail; remove " + XlaCompileCache.FLAG + " from " + XlaCompileCache.VARIABLE
          + " (./vblora leaves it out for --fused-attention), or train without fused attention");
    });
  }

  /** Whether {@code flags} (XLA_FLAGS) turn the rewriter on; the last mention wins, as in XLA. */
  static boolean enabledIn(String flags) {
    return FlagString.enabled(flags, FLAG);
  }
}

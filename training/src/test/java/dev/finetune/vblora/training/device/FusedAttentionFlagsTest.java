package dev.finetune.vblora.training.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.error.InvalidSettingException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What a process must start with for fused attention, and what it is told when it did not. */
class FusedAttentionFlagsTest {
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--xla_gpu_enable_cudnn_fmha=true|true",
      "--xla_gpu_enable_triton_gemm=false --xla_gpu_enable_cudnn_fmha=true|true",
      "--xla_gpu_enable_cudnn_fmha|true",
      "--xla_gpu_enable_cudnn_fmha=true --xla_gpu_enable_cudnn_fmha=false|false",
      "--xla_gpu_enable_cudnn_fmha=false|false",
      "--xla_gpu_enable_cudnn_fmha_extra=true|false",
      "''|false"})
  void readsTheRewritersFlagTheLastMentionWinning(String flags, boolean enabled) {
    assertEquals(enabled, FusedAttentionFlags.enabledIn(flags));
  }

  @Test
  void withoutTheXlaFlagTheMessageSaysWhichVariableToSet() {
    InvalidSettingException e = assertThrows(InvalidSettingException.class,
        () -> FusedAttentionFlags.requireIn("--xla_gpu_enable_triton_gemm=false", ""));
    assertTrue(e.getMessage().contains("XLA_FLAGS=--xla_gpu_enable_cudnn_fmha=true"), e.getMessage());
  }

  @Test
  void aPersistentCompilationCacheIsRefusedNamingTheFolder() {
    InvalidSettingException e = assertThrows(InvalidSettingException.class,
        () -> FusedAttentionFlags.requireIn("--xla_gpu_enable_cudnn_fmha=true",
            "--tf_xla_persistent_cache_directory=/tmp/xla-cache --tf_xla_deterministic_cluster_names=true"));
    assertTrue(e.getMessage().contains("/tmp/xla-cache") && e.getMessage().contains("TF_XLA_FLAGS"),
        e.getMessage());
    FusedAttentionFlags.requireIn("--xla_gpu_enable_cudnn_fmha=true", "--tf_xla_deterministic_cluster_names=true");
  }
}

package dev.finetune.vblora.training.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class XlaCpuFlagTest {
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--tf_xla_cpu_global_jit|true",
      "--tf_xla_auto_jit=2 --tf_xla_cpu_global_jit|true",
      "--tf_xla_cpu_global_jit=true|true",
      "--tf_xla_auto_jit=2|false",
      "''|false",
      "--tf_xla_cpu_global_jit=false|false",
      "--tf_xla_cpu_global_jit --tf_xla_cpu_global_jit=false|false",
      "--tf_xla_cpu_global_jit=0 --tf_xla_cpu_global_jit=1|true",
      "--tf_xla_cpu_global_jit_extra|false"})
  void readsTheFlagAmongOthersTheLastMentionWinning(String flags, boolean enabled) {
    assertEquals(enabled, XlaCpuFlag.enabledIn(flags));
  }
}

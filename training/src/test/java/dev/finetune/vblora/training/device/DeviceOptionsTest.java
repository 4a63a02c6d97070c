package dev.finetune.vblora.training.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.model.AttentionForm;
import dev.finetune.vblora.model.GemmPrecision;
import dev.finetune.vblora.model.MomentsForm;
import dev.finetune.vblora.model.SoftmaxForm;
import dev.finetune.vblora.model.TailForm;
import dev.finetune.vblora.training.StepLaunch;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.OptimizerOptions.GlobalJitLevel;
import org.tensorflow.proto.RewriterConfig.Toggle;

/** What each device option turns into in the session's ConfigProto. */
class DeviceOptionsTest {

  static Stream<Arguments> jitLevels() {
    return Stream.of(
        Arguments.of(DeviceOptions.cpu(), GlobalJitLevel.OFF),
        Arguments.of(DeviceOptions.gpu(), GlobalJitLevel.ON_1),
        Arguments.of(DeviceOptions.cpu().withXla(true), GlobalJitLevel.ON_1),
        Arguments.of(DeviceOptions.gpu().withXla(false), GlobalJitLevel.OFF));
  }

  @ParameterizedTest
  @MethodSource("jitLevels")
  void xlaIsTheGlobalJitLevel(DeviceOptions options, GlobalJitLevel expected) {
    assertEquals(expected, options.toConfigProto().getGraphOptions().getOptimizerOptions().getGlobalJitLevel());
  }

  @Test
  void cpuIsTheDefaultAndHidesGpusWithoutXla() {
    DeviceOptions options = DeviceOptions.cpu();
    assertEquals(Device.CPU, options.device());
    assertFalse(options.xla());
    ConfigProto config = options.toConfigProto();
    assertEquals(0, config.getDeviceCountOrThrow("GPU"), "a GPU build asked for CPU must not use the GPU");
    assertFalse(config.getGpuOptions().getAllowGrowth());
    assertFalse(config.getAllowSoftPlacement());
    assertFalse(config.getLogDevicePlacement());
    assertEquals(0, config.getIntraOpParallelismThreads());
    assertEquals(0, config.getInterOpParallelismThreads());
    assertFalse(config.getGraphOptions().hasRewriteOptions());
  }

  @Test
  void gpuGrowsMemoryOnDemandAndNeverPlacesSoftly() {
    ConfigProto config = DeviceOptions.gpu().toConfigProto();
    assertTrue(config.getGpuOptions().getAllowGrowth());
    assertFalse(config.getAllowSoftPlacement());
    assertFalse(config.containsDeviceCount("GPU"));
  }

  @Test
  void placementLoggingAndThreadsAreCopied() {
    ConfigProto config = DeviceOptions.cpu().withLogPlacement(true).withThreads(3, 2).toConfigProto();
    assertTrue(config.getLogDevicePlacement());
    assertEquals(3, config.getIntraOpParallelismThreads());
    assertEquals(2, config.getInterOpParallelismThreads());
  }

  @Test
  void reducedPrecisionIsTheDevicesMixedPrecisionRewrite() {
    ConfigProto fp16 = DeviceOptions.gpu().withPrecision(Precision.FP16).toConfigProto();
    assertEquals(Toggle.ON, fp16.getGraphOptions().getRewriteOptions().getAutoMixedPrecision());
    ConfigProto bf16 = DeviceOptions.cpu().withPrecision(Precision.BF16).toConfigProto();
    assertEquals(Toggle.ON, bf16.getGraphOptions().getRewriteOptions().getAutoMixedPrecisionOnednnBfloat16());
    assertEquals(Toggle.DEFAULT, bf16.getGraphOptions().getRewriteOptions().getAutoMixedPrecision());
    assertEquals(GemmPrecision.FLOAT32, DeviceOptions.cpu().withPrecision(Precision.BF16).gemmPrecision(),
        "the CPU's bf16 is the session's rewrite, not the graph's");
  }

  /** TensorFlow has no bf16 session rewrite for GPUs: the training graph carries it, and the session none. */
  @Test
  void bf16OnTheGpuIsTheGraphsAndTheSessionRewritesNothing() {
    DeviceOptions bf16 = DeviceOptions.gpu().withPrecision(Precision.BF16);
    assertEquals(GemmPrecision.BFLOAT16, bf16.gemmPrecision());
    var rewrites = bf16.toConfigProto().getGraphOptions().getRewriteOptions();
    assertEquals(Toggle.DEFAULT, rewrites.getAutoMixedPrecision());
    assertEquals(Toggle.DEFAULT, rewrites.getAutoMixedPrecisionOnednnBfloat16());
    assertEquals(GemmPrecision.FLOAT32, DeviceOptions.gpu().withPrecision(Precision.FP16).gemmPrecision());
  }

  @Test
  void aSavedModelAsServedCannotTakeTheGraphsBf16() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DeviceOptions.gpu().withPrecision(Precision.BF16).requireSessionPrecision("eval"));
    assertTrue(e.getMessage().contains("eval") && e.getMessage().contains("fp16"), e.getMessage());
    DeviceOptions.gpu().withPrecision(Precision.FP16).requireSessionPrecision("eval");
    DeviceOptions.cpu().withPrecision(Precision.BF16).requireSessionPrecision("eval");
  }

  @Test
  void xlaStripsAssertsSoThatTheStepStaysOneCluster() {
    ConfigProto gpu = DeviceOptions.gpu().toConfigProto();
    assertEquals(Toggle.ON, gpu.getGraphOptions().getRewriteOptions().getDebugStripper());
    assertEquals(Toggle.DEFAULT, gpu.getGraphOptions().getRewriteOptions().getRemapping(),
        "the GPU remapper only fuses what XLA can still compile");
    ConfigProto cpu = DeviceOptions.cpu().withXla(true).toConfigProto(true);
    assertEquals(Toggle.ON, cpu.getGraphOptions().getRewriteOptions().getDebugStripper());
    assertEquals(Toggle.OFF, cpu.getGraphOptions().getRewriteOptions().getRemapping());
    assertFalse(DeviceOptions.cpu().withXla(true).toConfigProto(false).getGraphOptions().hasRewriteOptions(),
        "without TF_XLA_FLAGS the CPU runs no XLA, so nothing may change its arithmetic");
    ConfigProto fp16 = DeviceOptions.gpu().withPrecision(Precision.FP16).toConfigProto();
    assertEquals(Toggle.ON, fp16.getGraphOptions().getRewriteOptions().getDebugStripper());
    assertEquals(Toggle.ON, fp16.getGraphOptions().getRewriteOptions().getAutoMixedPrecision());
    assertFalse(DeviceOptions.gpu().withXla(false).toConfigProto().getGraphOptions().hasRewriteOptions(),
        "without XLA the model's Asserts stay");
  }

  @Test
  void aPrecisionWithoutARewriteOnTheDeviceIsRefusedNamingTheAlternative() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> DeviceOptions.cpu().withPrecision(Precision.FP16));
    assertTrue(e.getMessage().contains("bf16"), e.getMessage());
  }

  /** Fused attention is cuDNN's, called by XLA on a GPU for bfloat16 attention: elsewhere it is refused. */
  @Test
  void fusedAttentionIsForBf16UnderXlaOnTheGpuOnly() {
    DeviceOptions fused = DeviceOptions.gpu().withPrecision(Precision.BF16).withFusedAttention(true);
    assertEquals(AttentionForm.FUSED, fused.attentionForm());
    assertEquals(AttentionForm.AS_EXPORTED, DeviceOptions.gpu().withPrecision(Precision.BF16).attentionForm());
    assertTrue(fused.describe().contains("fused attention"), fused.describe());
    for (DeviceOptions without : List.of(DeviceOptions.gpu(), DeviceOptions.gpu().withPrecision(Precision.FP16),
        DeviceOptions.cpu().withPrecision(Precision.BF16).withXla(true),
        DeviceOptions.gpu().withPrecision(Precision.BF16).withXla(false))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> without.withFusedAttention(true), without.describe());
      assertTrue(e.getMessage().contains("gpu") && e.getMessage().contains("bf16"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> fused.withPrecision(Precision.FP32));
    assertEquals(false, fused.withXla(false).fusedAttention(), "without XLA nothing calls cuDNN's kernels");
  }

  /**
   * The one-position tail rounds a product's sums differently in the last bit: taken where XLA compiles the step
   * (and already moves the forward pass by more), not where a zero adapter must give the model's bits.
   */
  @Test
  void theOnePositionTailFollowsXla() {
    assertEquals(TailForm.ONE_POSITION, DeviceOptions.gpu().tailForm());
    assertEquals(TailForm.ONE_POSITION, DeviceOptions.cpu().withXla(true).tailForm());
    assertEquals(TailForm.AS_EXPORTED, DeviceOptions.cpu().tailForm());
    assertEquals(TailForm.AS_EXPORTED, DeviceOptions.gpu().withXla(false).tailForm());
  }

  /**
   * Graph forms measured only under XLA, which fp16's mixed precision (Grappler's rewrite of the session graph) keeps
   * as exported: the log-sum-exp softmax saves XLA a pass over each attention tensor (TensorFlow's own Softmax kernel
   * needs none), and LayerNorm's variance in one pass with its mean (with the model's own gradient) lets XLA fuse
   * the two reductions.
   */
  @ParameterizedTest
  @MethodSource("formsOfXlaButNotFp16")
  void aFormOfXlaButNotFp16(Function<DeviceOptions, Enum<?>> form, Enum<?> underXla, Enum<?> asExported) {
    assertEquals(underXla, form.apply(DeviceOptions.gpu()));
    assertEquals(underXla, form.apply(DeviceOptions.gpu().withPrecision(Precision.BF16)));
    assertEquals(underXla, form.apply(DeviceOptions.cpu().withXla(true)));
    assertEquals(asExported, form.apply(DeviceOptions.cpu()));
    assertEquals(asExported, form.apply(DeviceOptions.gpu().withXla(false)));
    assertEquals(asExported, form.apply(DeviceOptions.gpu().withPrecision(Precision.FP16)));
  }

  static Stream<Arguments> formsOfXlaButNotFp16() {
    return Stream.of(
        Arguments.of(named("softmaxForm", DeviceOptions::softmaxForm), SoftmaxForm.LOG_SUM_EXP,
            SoftmaxForm.AS_EXPORTED),
        Arguments.of(named("momentsForm", DeviceOptions::momentsForm), MomentsForm.ONE_PASS_EXPORTED_GRADIENT,
            MomentsForm.AS_EXPORTED));
  }

  private static Named<Function<DeviceOptions, Enum<?>>> named(String name, Function<DeviceOptions, Enum<?>> form) {
    return Named.of(name, form);
  }

  @Test
  void aGpuUnderXlaRunsTheStagedStepAsOneProgramAndACpuOrFp16AsAutoClusteringDoes() {
    assertEquals(StepLaunch.WHOLE, DeviceOptions.gpu().stepLaunch());
    assertEquals(StepLaunch.WHOLE, DeviceOptions.gpu().withPrecision(Precision.BF16).stepLaunch());
    assertEquals(StepLaunch.CLUSTERED, DeviceOptions.gpu().withPrecision(Precision.FP16).stepLaunch(),
        "fp16 is Grappler's rewrite of the session graph");
    assertEquals(StepLaunch.CLUSTERED, DeviceOptions.gpu().withXla(false).stepLaunch());
    assertEquals(StepLaunch.CLUSTERED, DeviceOptions.cpu().withXla(true).stepLaunch());
    assertEquals(StepLaunch.CLUSTERED, DeviceOptions.cpu().stepLaunch());
  }

  @Test
  void negativeThreadCountsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> DeviceOptions.cpu().withThreads(-1, 0));
  }

  @Test
  void devicesAndPrecisionsParseFromTheCommandLineSpelling() {
    assertEquals(Device.GPU, Device.parse("GPU"));
    assertEquals(Device.CPU, Device.parse("cpu"));
    assertEquals(Precision.BF16, Precision.parse("bfloat16"));
    assertThrows(IllegalArgumentException.class, () -> Device.parse("tpu"));
  }
}

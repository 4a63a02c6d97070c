package dev.finetune.vblora.training.device;

import org.tensorflow.TensorFlow;
import org.tensorflow.internal.c_api.global.tensorflow;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.OptimizerOptions;

/**
 * When XLA compiles an auto-clustered graph. By default TensorFlow compiles "lazily": a cluster is compiled
 * the first time it runs, but a later new input shape runs the cluster uncompiled (op by op, several times
 * slower on a GPU) until the shape has been seen again, and a cluster compiled for more than 10 shapes is
 * given up on for good. A run with a few fixed batch shapes wants the opposite: each shape compiled on its
 * first call, once. This switches lazy compilation off, which makes every new shape compile at once.
 *
 * <p>The switch is TensorFlow's process-wide flag (TF_SetXlaEnableLazyCompilation, the same as
 * {@code TF_XLA_FLAGS=--tf_xla_enable_lazy_compilation=false}); it takes effect for graphs optimized after it,
 * so it is set before a session's first call.
 */
public final class XlaCompilationMode {
  private XlaCompilationMode() {}

  /** Compile every new shape on its first call, if {@code session} asks for XLA auto-clustering. */
  public static void compileEachShapeOnFirstCallFor(ConfigProto session) {
    if (session != null && session.getGraphOptions().getOptimizerOptions().getGlobalJitLevel()
        != OptimizerOptions.GlobalJitLevel.OFF
        && session.getGraphOptions().getOptimizerOptions().getGlobalJitLevel()
        != OptimizerOptions.GlobalJitLevel.DEFAULT) {
      TensorFlow.version(); // loads the native library before its flags are touched
      tensorflow.TF_SetXlaEnableLazyCompilation((byte) 0);
    }
  }
}

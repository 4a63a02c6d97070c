package dev.finetune.vblora.training;

import dev.finetune.vblora.training.device.CompileTracker;
import java.util.Optional;
import org.tensorflow.Session;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.exceptions.TFUnimplementedException;

/**
 * A step's target as one XLA program (see {@link dev.finetune.vblora.model.XlaLaunchStep}) with the target itself
 * behind it: when XLA refuses to compile the program on its first call (an op without an XLA kernel, which
 * auto-clustering would have left to TensorFlow), that call and every later one run the target instead. A refused
 * compilation runs nothing, so the step is not applied twice.
 */
final class LaunchedStep {
  private final String launched;
  private final String launchedLoss;
  private final String target;
  private final String targetLoss;
  private boolean tried;
  private String refusal;

  LaunchedStep(String launched, String launchedLoss, String target, String targetLoss) {
    this.launched = launched;
    this.launchedLoss = launchedLoss;
    this.target = target;
    this.targetLoss = targetLoss;
  }

  /** Runs one step, fetching nothing. */
  void run(Session session, CompileTracker compiles, String kind, long... shape) {
    if (refusal == null) {
      try {
        call(session, launched, compiles, kind, shape);
        tried = true;
        return;
      } catch (TFInvalidArgumentException | TFUnimplementedException e) {
        if (tried) {
          throw e; // a program that compiled once fails for another reason: not a refusal to compile
        }
        refusal = e.getMessage();
        if (compiles != null) {
          compiles.forget(kind, shape); // the target's first call compiles its own clusters
        }
      }
    }
    call(session, target, compiles, kind, shape);
  }

  /** Runs {@code op} as a call's only target, fetching nothing: the call returns once the step is queued. */
  static void call(Session session, String op, CompileTracker compiles, String kind, long... shape) {
    Session.Runner runner = session.runner().addTarget(op);
    (compiles == null ? runner.run() : compiles.run(runner, kind, shape)).close();
  }

  /** The op a caller runs for a step: the program, or the target once the program was refused. */
  String op() {
    return refusal == null ? launched : target;
  }

  /** The step's loss as an output of {@link #op()}, for a caller that fetches it in the same call. */
  String loss() {
    return refusal == null ? launchedLoss : targetLoss;
  }

  /** Why XLA refused the program, once it has. */
  Optional<String> refusal() {
    return Optional.ofNullable(refusal);
  }
}

package dev.finetune.vblora.training;

import dev.finetune.vblora.training.device.CompileTracker;
import java.util.Optional;
import org.tensorflow.Session;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.exceptions.TFUnimplementedException;
import org.tensorflow.exceptions.TensorFlowException;

/**
 * A step's target as one XLA program (see {@link dev.finetune.vblora.model.XlaLaunchStep}) with the target itself
 * behind it: when XLA refuses to compile the program on its first call (an InvalidArgument or Unimplemented error:
 * an op without an XLA kernel, which auto-clustering would have left to TensorFlow), that call and every later one
 * run the target instead. A refused compilation runs nothing, so the step is not applied twice. Any other error,
 * and any error after a first call that compiled, is the step's own and is thrown. The state belongs to the graph,
 * not to a session: the first call of the first session decides (a training run opens one session per graph).
 */
final class LaunchedStep {
  private final String launched;
  private final String launchedLoss;
  private final String target;
  private final String targetLoss;
  private boolean compiled;
  private String refusal;
  private RuntimeException refusalError;

  LaunchedStep(String launched, String launchedLoss, String target, String targetLoss) {
    this.launched = launched;
    this.launchedLoss = launchedLoss;
    this.target = target;
    this.targetLoss = targetLoss;
  }

  /** A step that runs its target from the start, for {@code reason} (the program could not be built). */
  static LaunchedStep refused(String target, String targetLoss, String reason) {
    LaunchedStep step = new LaunchedStep(null, null, target, targetLoss);
    step.refusal = reason;
    return step;
  }

  /** Runs one step, fetching nothing. */
  void run(Session session, CompileTracker compiles, String kind, long... shape) {
    if (refusal == null) {
      try {
        call(session, launched, compiles, kind, shape);
        compiled = true;
        return;
      } catch (TFInvalidArgumentException | TFUnimplementedException e) {
        if (compiled) {
          throw e; // a program that compiled once fails for another reason: not a refusal to compile
        }
        refusal = "XLA refused to compile the step as one program: " + e.getMessage();
        refusalError = e;
        if (compiles != null) {
          compiles.forget(kind, shape); // the target's first call compiles its own clusters
        }
      }
    }
    try {
      call(session, target, compiles, kind, shape);
    } catch (TensorFlowException e) {
      if (refusalError != null && !compiled) {
        e.addSuppressed(refusalError); // the step fails either way: keep why the program was not run
      }
      throw e;
    }
    compiled = true;
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

  /** Why the step runs its target rather than the program, once it does. */
  Optional<String> refusal() {
    return Optional.ofNullable(refusal);
  }
}

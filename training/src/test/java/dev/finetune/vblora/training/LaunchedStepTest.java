package dev.finetune.vblora.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.model.XlaLaunchStep;
import dev.finetune.vblora.training.device.CompileTracker;
import dev.finetune.vblora.training.device.PlacementCheck;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.VarHandleOp;
import org.tensorflow.types.TFloat32;

/**
 * A step launched as one XLA program runs as that program while XLA compiles it, and as its own target from the
 * first call on when XLA refuses it: either way each call applies the update once.
 */
class LaunchedStepTest {
  /** v -= 0.5 v per step; with {@code uncompilable}, plus 0 * the length of v's first entry as a string. */
  private static LaunchedStep build(Graph graph, boolean uncompilable) {
    Ops tf = Ops.create(graph);
    VarHandleOp v = tf.withName("v").varHandleOp(TFloat32.class, Shape.of(2), VarHandleOp.sharedName("v"));
    tf.withName("init").assignVariableOp(v, tf.constant(new float[] {4f, -2f}));
    Operand<TFloat32> read = tf.withName("read").readVariableOp(v, TFloat32.class);
    Operand<TFloat32> loss = tf.withName("loss").sum(read, tf.constant(0));
    Operand<TFloat32> delta = tf.math.mul(tf.constant(0.5f), read);
    if (uncompilable) {
      Operand<?> length = tf.strings.stringLength(tf.dtypes.asString(tf.gather(read, tf.constant(0),
          tf.constant(0))));
      delta = tf.math.add(delta, tf.math.mul(tf.constant(0f), tf.dtypes.cast(length, TFloat32.class)));
    }
    Op update = tf.withControlDependencies(List.of(loss)).assignSubVariableOp(v, delta);
    String target = tf.withName("step").withControlDependencies(List.of(update)).noOp().op().name();
    String launch = XlaLaunchStep.attach(graph, target, List.of("loss:0"), "launch");
    return new LaunchedStep(launch, launch + ":0", target, "loss:0");
  }

  private static float[] value(Session session) {
    try (Result r = session.runner().fetch("read").run()) {
      return StdArrays.array1dCopyOf((TFloat32) r.get(0));
    }
  }

  @Test
  void aProgramXlaCompilesRunsAsThatProgram() {
    try (Graph graph = new Graph(); Session session = new Session(graph)) {
      LaunchedStep step = build(graph, false);
      session.runner().addTarget("init").run();
      CompileTracker compiles = new CompileTracker(Optional.empty());
      step.run(session, compiles, "train", 2);
      step.run(session, compiles, "train", 2);
      assertEquals("launch", step.op());
      assertEquals("launch:0", step.loss());
      assertTrue(step.refusal().isEmpty());
      assertArrayEquals(new float[] {1f, -0.5f}, value(session), 1e-6f);
      assertEquals(1, compiles.takeCompilations().count(), "the program's first call compiled it");
      assertEquals(1, PlacementCheck.trace(session.runner().addTarget(step.op())).xlaClusters(),
          "a traced step reports the program as the XLA cluster it ran");
    }
  }

  @Test
  void aProgramXlaRefusesFallsBackToTheTargetWithoutApplyingTheStepTwice() {
    try (Graph graph = new Graph(); Session session = new Session(graph)) {
      LaunchedStep step = build(graph, true);
      session.runner().addTarget("init").run();
      CompileTracker compiles = new CompileTracker(Optional.empty());
      step.run(session, compiles, "train", 2);
      assertArrayEquals(new float[] {2f, -1f}, value(session), 1e-6f, "one update");
      assertEquals(0, compiles.takeCompilations().count(), "the refused program compiled nothing, nor did the "
          + "target, traced in its place, on a CPU without XLA");
      assertTrue(step.refusal().orElseThrow().contains("AsString"), step.refusal().orElseThrow());
      assertEquals("step", step.op());
      assertEquals("loss:0", step.loss());
      step.run(session, null, "train", 2);
      assertArrayEquals(new float[] {1f, -0.5f}, value(session), 1e-6f);
    }
  }

  @Test
  void aStepRefusedBeforeItsFirstCallRunsItsTargetFromTheStart() {
    try (Graph graph = new Graph(); Session session = new Session(graph)) {
      build(graph, false);
      LaunchedStep step = LaunchedStep.refused("step", "loss:0", "draws seeded random numbers");
      session.runner().addTarget("init").run();
      step.run(session, null, "train", 2);
      assertEquals("step", step.op());
      assertEquals("draws seeded random numbers", step.refusal().orElseThrow());
      assertArrayEquals(new float[] {2f, -1f}, value(session), 1e-6f);
    }
  }
}

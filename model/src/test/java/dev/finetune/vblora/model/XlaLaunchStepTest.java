package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.exceptions.TFInvalidArgumentException;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.VarHandleOp;
import org.tensorflow.op.nn.TopK;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * A step run through one XLA-compiled call does what running its target does: the same value comes out of the
 * call as out of the graph, the variables end the same, and a second call continues from the first one's update.
 */
class XlaLaunchStepTest {
  private static final float[] START = {1f, -3f, 2f};

  /**
   * A small step: loss = sum(v * v) + the index of v's largest entry (a TopKV2, whose second output is named
   * {@code indices:0} inside a function), then v -= 0.1 v * (1 + that index), after the loss is computed.
   */
  private static String[] build(Graph graph, boolean stringOps, boolean fed) {
    Ops tf = Ops.create(graph);
    VarHandleOp v = tf.withName("v").varHandleOp(TFloat32.class, Shape.of(3), VarHandleOp.sharedName("v"));
    tf.withName("init").assignVariableOp(v, tf.constant(START));
    Operand<TFloat32> read = tf.withName("read").readVariableOp(v, TFloat32.class);
    TopK<TFloat32, TInt32> top = tf.nn.topK(read, tf.constant(1), TInt32.class);
    Operand<TFloat32> index = tf.dtypes.cast(tf.reshape(top.indices(), tf.constant(new int[0])), TFloat32.class);
    Operand<TFloat32> loss = tf.withName("loss").math.add(tf.sum(tf.math.mul(read, read), tf.constant(0)), index);
    Operand<TFloat32> rate = tf.math.mul(tf.constant(0.1f), tf.math.add(tf.constant(1f), index));
    Operand<TFloat32> delta = tf.math.mul(rate, read);
    if (stringOps) { // + 0 * the length of v's first entry printed: no XLA kernel turns a float into a string
      Operand<TInt32> length = tf.strings.stringLength(tf.dtypes.asString(tf.gather(read, tf.constant(0),
          tf.constant(0))));
      delta = tf.math.add(delta, tf.math.mul(tf.constant(0f), tf.dtypes.cast(length, TFloat32.class)));
    }
    if (fed) {
      delta = tf.math.add(delta, tf.withName("fed_offset").placeholder(TFloat32.class));
    }
    Op update = tf.withControlDependencies(List.of(loss)).assignSubVariableOp(v, delta);
    Op step = tf.withName("step").withControlDependencies(List.of(update)).noOp();
    return new String[] {step.op().name(), loss.op().name() + ":0"};
  }

  private static float[] value(Session session) {
    try (Result r = session.runner().fetch("read").run()) {
      return StdArrays.array1dCopyOf((TFloat32) r.get(0));
    }
  }

  private static float run(Session session, String target, String loss) {
    try (Result r = session.runner().addTarget(target).fetch(loss).run()) {
      return ((TFloat32) r.get(0)).getFloat();
    }
  }

  @Test
  void twoCallsOfTheCompiledStepGiveTheLossesAndUpdatesOfTwoRunsOfItsTarget() {
    float[] losses = new float[4];
    float[][] values = new float[2][];
    try (Graph graph = new Graph()) {
      String[] names = build(graph, false, false);
      try (Session session = new Session(graph)) {
        session.runner().addTarget("init").run();
        losses[0] = run(session, names[0], names[1]);
        losses[1] = run(session, names[0], names[1]);
        values[0] = value(session);
      }
    }
    try (Graph graph = new Graph()) {
      String[] names = build(graph, false, false);
      String call = XlaLaunchStep.attach(graph, names[0], List.of(names[1]), "launch");
      try (Session session = new Session(graph)) {
        session.runner().addTarget("init").run();
        losses[2] = run(session, call, call + ":0");
        losses[3] = run(session, call, call + ":0");
        values[1] = value(session);
      }
    }
    // Plain-Java reference: v = [1, -3, 2], largest at index 2; then v *= 1 - 0.3.
    float first = 1 + 9 + 4 + 2;
    assertEquals(first, losses[0], 1e-5);
    assertEquals(first, losses[2], 1e-5);
    assertEquals(losses[1], losses[3], 1e-5, "the second call starts from the first call's update");
    assertArrayEquals(values[0], values[1], 1e-6f);
    assertArrayEquals(new float[] {0.49f, -1.47f, 0.98f}, values[1], 1e-6f);
  }

  @Test
  void bodyNodesNamedLikeTheFunctionsOwnNamesKeepTheirPlace() {
    float[][] values = new float[2][];
    for (int i = 0; i < 2; i++) {
      try (Graph graph = new Graph()) {
        String[] names = build(graph, false, false);
        Ops tf = Ops.create(graph);
        // Nodes that the step does not need, then a chain through nodes named as arguments and results would be.
        Operand<TFloat32> renamed = tf.withName("output_0").identity(tf.withName("variable_0").identity(
            graph.outputOrThrow("loss:0").expect(TFloat32.class)));
        String target = tf.withName("step_then").withControlDependencyOps(renamed.op(),
            graph.operationOrThrow(names[0])).noOp().op().name();
        String call = i == 0 ? target : XlaLaunchStep.attach(graph, target, List.of("output_0:0"), "launch");
        try (Session session = new Session(graph)) {
          session.runner().addTarget("init").run();
          run(session, call, i == 0 ? "loss:0" : call + ":0");
          values[i] = value(session);
        }
      }
    }
    assertArrayEquals(values[0], values[1], 1e-6f);
  }

  @Test
  void aStepThatDrawsSeededRandomNumbersIsUnsuitableAndTheGraphKeepsNoFunction() {
    try (Graph graph = new Graph()) {
      String[] names = build(graph, false, false);
      Ops tf = Ops.create(graph);
      Operand<TFloat32> noise = tf.withName("noise").random.randomUniform(tf.constant(new long[] {3}), TFloat32.class,
          org.tensorflow.op.random.RandomUniform.seed(1L));
      String target = tf.withName("noisy_step").withControlDependencyOps(noise.op(),
          graph.operationOrThrow(names[0])).noOp().op().name();
      XlaLaunchStep.Unsuitable e = assertThrows(XlaLaunchStep.Unsuitable.class,
          () -> XlaLaunchStep.attach(graph, target, List.of(names[1]), "launch"));
      assertTrue(e.getMessage().contains("noise"), e.getMessage());
      assertEquals(0, graph.toGraphDef().getLibrary().getFunctionCount());
    }
  }

  @Test
  void aTakenNameOrAMissingOutputIsRefusedBeforeTheGraphChanges() {
    try (Graph graph = new Graph()) {
      String[] names = build(graph, false, false);
      VbLoraException taken = assertThrows(VbLoraException.class,
          () -> XlaLaunchStep.attach(graph, names[0], List.of(names[1]), "read"));
      assertTrue(taken.getMessage().contains("read"), taken.getMessage());
      VbLoraException missing = assertThrows(VbLoraException.class,
          () -> XlaLaunchStep.attach(graph, names[0], List.of("no_such_node:0"), "launch"));
      assertTrue(missing.getMessage().contains("no_such_node"), missing.getMessage());
      assertEquals(0, graph.toGraphDef().getLibrary().getFunctionCount());
    }
  }

  @Test
  void aStepThatReadsAFedPlaceholderIsRefusedNamingIt() {
    try (Graph graph = new Graph()) {
      String[] names = build(graph, false, true);
      VbLoraException e = assertThrows(VbLoraException.class,
          () -> XlaLaunchStep.attach(graph, names[0], List.of(names[1]), "launch"));
      assertTrue(e.getMessage().contains("fed_offset"), e.getMessage());
    }
  }

  @Test
  void aStepWithAnOpXlaCannotCompileFailsWhenCalledAndLeavesTheVariablesAsTheyWere() {
    try (Graph graph = new Graph()) {
      String[] names = build(graph, true, false);
      String call = XlaLaunchStep.attach(graph, names[0], List.of(names[1]), "launch");
      try (Session session = new Session(graph)) {
        session.runner().addTarget("init").run();
        TFInvalidArgumentException e = assertThrows(TFInvalidArgumentException.class,
            () -> run(session, call, call + ":0"));
        assertTrue(e.getMessage().contains("AsString"), e.getMessage());
        assertArrayEquals(START, value(session), "nothing ran");
        run(session, names[0], names[1]); // the target itself still runs on TensorFlow's kernels
        assertEquals(0.7f, value(session)[0], 1e-6f);
      }
    }
  }
}

package dev.finetune.vblora.training.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.model.ElementType;
import dev.finetune.vblora.training.variables.HostTensor;
import dev.finetune.vblora.model.ResourceVariable;
import dev.finetune.vblora.training.variables.VariableTransfer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TFloating;

class AdamWTest {
  private static final double[] A0 = {0.5, -1.2, 0.8, 1.5, 0.3, -0.7}; // [2, 3]
  private static final double[] WA = {1, 2, 0.5, 3, 1, 2};
  private static final double[] B0 = {0.1, -2, 1.3};
  private static final double[] C0 = {0.9, -1.1};
  private static final double[] F0 = {0.4, -0.6}; // frozen: in the loss, in no group
  private static final double[] MULTIPLIERS = {0.5, 1.0, 0.25};

  /**
   * L = 0.5 sum(WA A^2) + sum(sin B) + 0.25 sum(C^4) + sum(A) sum(C) + sum(F C), with A and B in one group
   * (lr 0.1, weight decay 0.05) and C in another (lr 0.03, weight decay 0.2).
   */
  private record ToyModel(ResourceVariable a, ResourceVariable b, ResourceVariable c, ResourceVariable f,
      Operand<? extends TFloating> loss) {

    static <T extends TFloating> ToyModel build(Ops tf, Class<T> type) {
      ResourceVariable a = variable(tf, "toy/a", A0, new long[] {2, 3}, type);
      ResourceVariable b = variable(tf, "toy/b", B0, new long[] {3}, type);
      ResourceVariable c = variable(tf, "toy/c", C0, new long[] {2}, type);
      ResourceVariable f = variable(tf, "toy/f", F0, new long[] {2}, type);
      Operand<T> av = a.read(tf, type);
      Operand<T> cv = c.read(tf, type);
      Operand<T> wa = tf.reshape(tf.dtypes.cast(tf.constant(WA), type), tf.constant(new long[] {2, 3}));
      Operand<T> half = tf.dtypes.cast(tf.constant(0.5), type);
      Operand<T> quarter = tf.dtypes.cast(tf.constant(0.25), type);
      Operand<T> loss = tf.math.addN(List.of(
          tf.math.mul(half, sum(tf, tf.math.mul(wa, tf.math.square(av)))),
          sum(tf, tf.math.sin(b.read(tf, type))),
          tf.math.mul(quarter, sum(tf, tf.math.square(tf.math.square(cv)))),
          tf.math.mul(sum(tf, av), sum(tf, cv)),
          sum(tf, tf.math.mul(f.read(tf, type), cv))));
      return new ToyModel(a, b, c, f, loss);
    }

    List<ParameterGroup> groups() {
      return List.of(new ParameterGroup("first", List.of(a, b), 0.1, 0.05),
          new ParameterGroup("second", List.of(c), 0.03, 0.2));
    }
  }

  /** The same gradients by hand, for parameters {A, B, C}. */
  private static double[][] referenceGradients(double[][] p) {
    double[] a = p[0];
    double[] b = p[1];
    double[] c = p[2];
    double sumA = 0;
    double sumC = 0;
    for (double x : a) {
      sumA += x;
    }
    for (double x : c) {
      sumC += x;
    }
    double[] ga = new double[6];
    for (int i = 0; i < 6; i++) {
      ga[i] = WA[i] * a[i] + sumC;
    }
    double[] gb = new double[3];
    for (int i = 0; i < 3; i++) {
      gb[i] = Math.cos(b[i]);
    }
    double[] gc = new double[2];
    for (int i = 0; i < 2; i++) {
      gc[i] = c[i] * c[i] * c[i] + sumA + F0[i];
    }
    return new double[][] {ga, gb, gc};
  }

  @ParameterizedTest(name = "{0}, max grad norm {1}")
  @CsvSource({"F64, 0.0, 1e-12", "F64, 1.0, 1e-12", "F32, 0.0, 1e-6", "F32, 1.0, 1e-6"})
  void threeStepsMatchTorchAdamWWithTwoGroups(ElementType type, double maxNorm, double tolerance) {
    AdamWConfig config = AdamWConfig.defaults().withMaxGradNorm(maxNorm);
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      ToyModel toy = ToyModel.build(tf, floatingClass(type));
      TrainStep train = AdamW.minimize(tf, toy.loss(), toy.groups(), config);
      VariableTransfer values = VariableTransfer.build(tf, allVariables(toy, train));
      s.initialize();

      double[][] start = {rounded(A0, type), rounded(B0, type), rounded(C0, type)};
      ReferenceAdamW reference = new ReferenceAdamW(start, new double[] {0.1, 0.1, 0.03},
          new double[] {0.05, 0.05, 0.2}, 0.9, 0.999, 1e-8, maxNorm);
      for (double multiplier : MULTIPLIERS) {
        double expectedNorm = reference.step(referenceGradients(reference.params), multiplier);
        double norm = runStep(s, train, multiplier);
        assertEquals(expectedNorm, norm, tolerance * expectedNorm, "global gradient norm");
        if (maxNorm > 0) {
          assertTrue(norm > maxNorm, "the toy gradients must be large enough for clipping to act");
        }
      }

      Map<String, HostTensor> after = values.read(s);
      String[] names = {"toy/a", "toy/b", "toy/c"};
      for (int i = 0; i < names.length; i++) {
        assertClose(reference.params[i], after.get(names[i]).toDoubles(), tolerance, names[i]);
        assertClose(reference.m[i], after.get("optimizer/m/" + names[i]).toDoubles(), tolerance, "m of " + names[i]);
        assertClose(reference.v[i], after.get("optimizer/v/" + names[i]).toDoubles(), tolerance, "v of " + names[i]);
      }
      assertClose(rounded(F0, type), after.get("toy/f").toDoubles(), 0, "frozen variable must not move");
      assertEquals(3L, after.get("optimizer/step").toLongs()[0], "step counter after three updates");
    }
  }

  @Test
  void firstUpdateHasTheFullBiasCorrectedSizeSoNoBetaPowerRace() {
    // With one variable, gradient g and no decay or clipping, torch's first AdamW step moves the
    // parameter by lr * g / (|g| + eps) = lr (for |g| >> eps): the racy framework Adam moved 0.074 of 0.1.
    AdamWConfig config = AdamWConfig.defaults().withMaxGradNorm(0);
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      ResourceVariable x = ResourceVariable.create(tf, "x", tf.constant(new double[] {2.0}));
      Operand<TFloat64> loss = tf.reduceSum(tf.math.mul(tf.constant(3.0), x.read(tf, TFloat64.class)),
          tf.constant(0));
      TrainStep train = AdamW.minimize(tf, loss, List.of(new ParameterGroup("only", List.of(x), 0.1, 0)),
          config);
      VariableTransfer values = VariableTransfer.build(tf, List.of(x));
      s.initialize();
      runStep(s, train, 1.0);
      assertEquals(2.0 - 0.1 * 3 / (3 + 1e-8), values.read(s).get("x").toDoubles()[0], 1e-15);
    }
  }

  @Test
  void rejectsAVariableInTwoGroups() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      ToyModel toy = ToyModel.build(tf, TFloat32.class);
      List<ParameterGroup> groups = List.of(new ParameterGroup("one", List.of(toy.a()), 0.1, 0),
          new ParameterGroup("two", List.of(toy.a(), toy.c()), 0.1, 0));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> AdamW.minimize(tf, toy.loss(), groups, AdamWConfig.defaults()));
      assertTrue(e.getMessage().contains("toy/a"), e.getMessage());
    }
  }

  @Test
  void rejectsAVariableThatDoesNotInfluenceTheLoss() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      ToyModel toy = ToyModel.build(tf, TFloat32.class);
      ResourceVariable unused = ResourceVariable.create(tf, "unused", tf.constant(new float[] {1f}));
      List<ParameterGroup> groups = List.of(new ParameterGroup("one", List.of(toy.a(), unused), 0.1, 0));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> AdamW.minimize(tf, toy.loss(), groups, AdamWConfig.defaults()));
      assertTrue(e.getMessage().contains("unused") && e.getMessage().contains("one"), e.getMessage());
    }
  }

  @Test
  void rejectsMixedElementTypes() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      ToyModel toy = ToyModel.build(tf, TFloat32.class);
      ResourceVariable wide = ResourceVariable.create(tf, "wide", tf.constant(new double[] {1}));
      List<ParameterGroup> groups = List.of(new ParameterGroup("one", List.of(toy.a(), wide), 0.1, 0));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> AdamW.minimize(tf, toy.loss(), groups, AdamWConfig.defaults()));
      assertTrue(e.getMessage().contains("wide") && e.getMessage().contains("F64"), e.getMessage());
    }
  }

  private static double runStep(Session s, TrainStep train, double multiplier) {
    try (TFloat64 m = TFloat64.scalarOf(multiplier);
        Result r = s.runner().feed(train.learningRateMultiplier(), m).addTarget(train.trainOp())
            .fetch(train.globalGradNorm()).run()) {
      return HostTensor.copyOf(r.get(0)).toDoubles()[0];
    }
  }

  private static List<ResourceVariable> allVariables(ToyModel toy, TrainStep train) {
    List<ResourceVariable> all = new ArrayList<>(List.of(toy.a(), toy.b(), toy.c(), toy.f()));
    all.addAll(train.optimizerState());
    return all;
  }

  private static <T extends TFloating> ResourceVariable variable(Ops tf, String name, double[] values,
      long[] shape, Class<T> type) {
    Operand<T> init = tf.reshape(tf.dtypes.cast(tf.constant(values), type), tf.constant(shape));
    return ResourceVariable.create(tf, name, init);
  }

  private static <T extends TFloating> Operand<T> sum(Ops tf, Operand<T> x) {
    int[] axes = new int[x.shape().numDimensions()];
    for (int i = 0; i < axes.length; i++) {
      axes[i] = i;
    }
    return tf.reduceSum(x, tf.constant(axes));
  }

  @SuppressWarnings("unchecked")
  private static Class<? extends TFloating> floatingClass(ElementType type) {
    return (Class<? extends TFloating>) type.tensorType();
  }

  private static double[] rounded(double[] values, ElementType type) {
    double[] out = values.clone();
    if (type == ElementType.F32) {
      for (int i = 0; i < out.length; i++) {
        out[i] = (float) out[i];
      }
    }
    return out;
  }

  /** Max-norm relative error: max |actual - expected| / max |expected|. */
  static void assertClose(double[] expected, double[] actual, double tolerance, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    double scale = 0;
    double error = 0;
    for (int i = 0; i < expected.length; i++) {
      scale = Math.max(scale, Math.abs(expected[i]));
      error = Math.max(error, Math.abs(actual[i] - expected[i]));
    }
    assertTrue(error <= tolerance * scale, what + ": relative error " + error / scale + " > " + tolerance);
  }

}

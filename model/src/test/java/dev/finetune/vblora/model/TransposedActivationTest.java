package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.VarHandleOp;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.types.TFloat32;

/**
 * A kernel applied with transpose_a (the activation stored [in, n]): every update form computes
 * x^T (W + s A B) and gives the factors their gradients, checked against plain Java with live (non-zero) LoRA
 * factors.
 */
class TransposedActivationTest {
  private static final int IN = 4;
  private static final int OUT = 3;
  private static final int N = 5;
  private static final String SIGNATURE = "serving_default";

  private static MetaGraphDef model() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class, Placeholder.shape(Shape.of(IN, -1)));
      Operand<?> w = tf.withSubScope("model").withSubScope("dense").withName("kernel")
          .varHandleOp(TFloat32.class, Shape.of(IN, OUT), VarHandleOp.sharedName("model/dense/kernel"));
      Operand<TFloat32> y = tf.withSubScope("serve").linalg.matMul(x, tf.readVariableOp(w, TFloat32.class),
          MatMul.transposeA(true));
      Operand<TFloat32> out = tf.withName("y").identity(y);
      SignatureDef signature = SignatureDef.newBuilder().setMethodName("tensorflow/serving/predict")
          .putInputs("x", TensorInfo.newBuilder().setName("x:0").setDtype(DataType.DT_FLOAT).build())
          .putOutputs("y", TensorInfo.newBuilder().setName(out.op().name() + ":0").setDtype(DataType.DT_FLOAT)
              .build())
          .build();
      return MetaGraphDef.newBuilder().setGraphDef(g.toGraphDef()).putSignatureDef(SIGNATURE, signature).build();
    }
  }

  private static float[][] gaussian(Random random, int rows, int cols, double scale) {
    float[][] values = new float[rows][cols];
    for (float[] row : values) {
      for (int j = 0; j < cols; j++) {
        row[j] = (float) (random.nextGaussian() * scale);
      }
    }
    return values;
  }

  /** The input x [in, n], the frozen weight and live (non-zero) LoRA factors, drawn from {@code seed}. */
  private record Values(float[][] x, float[][] w, float[][] down, float[][] up) {
    static Values draw(long seed) {
      Random random = new Random(seed);
      return new Values(gaussian(random, IN, N, 1), gaussian(random, IN, OUT, 0.5), gaussian(random, IN, 2, 0.5),
          gaussian(random, 2, OUT, 0.5));
    }

    /** Initialises {@code adapted}'s variables in {@code session}, then sets the weight and factors to these. */
    void assignTo(AdaptedGraph adapted, Session session) {
      Graph graph = adapted.graph();
      Ops tf = Ops.create(graph).withSubScope("test_values");
      List<Op> assigns = new ArrayList<>();
      assigns.add(tf.assignVariableOp(graph.operationOrThrow("model/dense/kernel").output(0), tf.constant(w)));
      for (AdapterVariable v : adapted.trainableVariables()) {
        float[][] value = v.group().equals(AdapterVariable.LORA_DOWN) ? down : up;
        assigns.add(tf.assignVariableOp(graph.operationOrThrow(v.name()).output(0), tf.constant(value)));
      }
      session.runner().addTarget(adapted.initOp()).run().close();
      Session.Runner assign = session.runner();
      assigns.forEach(assign::addTarget);
      assign.run().close();
    }
  }

  @ParameterizedTest
  @EnumSource(UpdateForm.class)
  void bothFormsComputeXTransposedTimesWPlusTheScaledUpdate(UpdateForm form) {
    MetaGraphDef meta = model();
    List<Kernel> kernels = KernelDiscovery.discover(meta, SIGNATURE);
    assertEquals(1, kernels.size());
    assertTrue(kernels.get(0).uses().get(0).transposeActivation());
    LoraConfig config = new LoraConfig(2, 4, 0.0, 3);
    Values v = Values.draw(5);
    try (AdaptedGraph adapted = GraphRewriter.rewrite(meta, SIGNATURE, LoraPlan.of(kernels, config),
        Path.of("unused"), form)) {
      try (Session session = adapted.newSession(); TFloat32 input = TFloat32.tensorOf(StdArrays.ndCopyOf(v.x()))) {
        v.assignTo(adapted, session);
        try (Result result = session.runner().feed("x:0", input).fetch(adapted.outputs().get("y")).run()) {
          float[][] actual = StdArrays.array2dCopyOf((TFloat32) result.get(0));
          float[][] expected = expected(v.x(), v.w(), v.down(), v.up(), config.scaling());
          for (int r = 0; r < N; r++) {
            assertArrayEquals(expected[r], actual[r], 1e-5f, "row " + r);
          }
        }
      }
    }
  }

  /**
   * The factors' gradients of sum(x^T (W + s down up)) in every form (merged-factored leaves a transposed
   * activation's product unmarked, so merged's gradient applies), against plain Java: d down = s x 1 up^T and
   * d up = s down^T x 1, with 1 the all-ones [n, out] upstream gradient.
   */
  @ParameterizedTest
  @EnumSource(UpdateForm.class)
  void everyFormGivesTheFactorsTheirGradients(UpdateForm form) {
    MetaGraphDef meta = model();
    List<Kernel> kernels = KernelDiscovery.discover(meta, SIGNATURE);
    LoraConfig config = new LoraConfig(2, 4, 0.0, 3);
    Values values = Values.draw(6);
    float[][] x = values.x();
    float[][] down = values.down();
    float[][] up = values.up();
    double s = config.scaling();
    try (AdaptedGraph adapted = GraphRewriter.rewrite(meta, SIGNATURE, LoraPlan.of(kernels, config),
        Path.of("unused"), form)) {
      Graph graph = adapted.graph();
      Ops tf = Ops.create(graph).withSubScope("test_gradients");
      List<AdapterVariable> trainable = adapted.trainableVariables();
      Operand<TFloat32> y = graph.outputOrThrow(adapted.outputs().get("y")).expect(TFloat32.class);
      Output<?>[] gradients = graph.addGradients(tf.reduceSum(y, tf.constant(new int[] {0, 1})).asOutput(),
          trainable.stream().map(v -> graph.outputOrThrow(v.value())).toArray(Output<?>[]::new));
      try (Session session = adapted.newSession(); TFloat32 input = TFloat32.tensorOf(StdArrays.ndCopyOf(x))) {
        values.assignTo(adapted, session);
        Session.Runner runner = session.runner().feed("x:0", input);
        for (Output<?> g : gradients) {
          runner.fetch(g);
        }
        try (Result result = runner.run()) {
          for (int k = 0; k < trainable.size(); k++) {
            boolean isDown = trainable.get(k).group().equals(AdapterVariable.LORA_DOWN);
            float[][] actual = StdArrays.array2dCopyOf((TFloat32) result.get(k));
            float[][] expected = new float[isDown ? IN : 2][isDown ? 2 : OUT];
            for (int a = 0; a < expected.length; a++) {
              for (int b = 0; b < expected[a].length; b++) {
                double sum = 0;
                for (int n = 0; n < N; n++) {
                  for (int o = 0; o < OUT; o++) {
                    if (isDown) {           // d down[i][r] = s sum_n,o x[i][n] up[r][o]
                      sum += x[a][n] * up[b][o];
                    } else if (o == b) {    // d up[r][o] = s sum_i,n down[i][r] x[i][n]
                      for (int i = 0; i < IN; i++) {
                        sum += down[i][a] * x[i][n];
                      }
                    }
                  }
                }
                expected[a][b] = (float) (s * sum);
              }
            }
            for (int a = 0; a < expected.length; a++) {
              assertArrayEquals(expected[a], actual[a], 1e-4f, trainable.get(k).name() + " row " + a);
            }
          }
        }
      }
    }
  }

  /** The graph says what it did: merged-factored could not mark the transposed product, which kept merged. */
  @ParameterizedTest
  @EnumSource(UpdateForm.class)
  void theKernelsReportedFormIsTheOneItGot(UpdateForm form) {
    MetaGraphDef meta = model();
    List<Kernel> kernels = KernelDiscovery.discover(meta, SIGNATURE);
    try (AdaptedGraph adapted = GraphRewriter.rewrite(meta, SIGNATURE, LoraPlan.of(kernels,
        new LoraConfig(2, 4, 0.0, 3)), Path.of("unused"), form)) {
      AppliedUpdateForms forms = adapted.updateForms();
      String kernel = kernels.get(0).name();
      boolean unmarked = form == UpdateForm.MERGED_FACTORED;
      assertEquals(unmarked ? UpdateForm.MERGED : form, forms.byKernel().get(kernel));
      assertEquals(!unmarked, forms.asAsked());
      assertEquals(unmarked ? Set.of(kernel) : Set.of(), forms.reasons().keySet());
      if (unmarked) {
        assertTrue(forms.reasons().get(kernel).contains("transpose_a"), forms.reasons().toString());
        assertEquals("merged: " + forms.reasons().get(kernel), forms.exceptionsJson().get(kernel));
        assertEquals(Map.of("merged", 1L), forms.countsJson());
      }
    }
  }

  /** x^T (W + s down up), in doubles. */
  private static float[][] expected(float[][] x, float[][] w, float[][] down, float[][] up, double s) {
    float[][] y = new float[N][OUT];
    for (int n = 0; n < N; n++) {
      for (int o = 0; o < OUT; o++) {
        double sum = 0;
        for (int i = 0; i < IN; i++) {
          double delta = 0;
          for (int r = 0; r < 2; r++) {
            delta += down[i][r] * up[r][o];
          }
          sum += x[i][n] * (w[i][o] + s * delta);
        }
        y[n][o] = (float) sum;
      }
    }
    return y;
  }
}

package dev.finetune.vblora.training.head;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.training.variables.HostTensor;
import dev.finetune.vblora.training.variables.VariableTransfer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

class TaskHeadTest {
  private static final int BATCH = 3;
  private static final int HIDDEN = 4;
  private static final float[] POOLED = {0.5f, -1f, 2f, 0.1f, -0.3f, 0.8f, 1.5f, -2f, 1f, 1f, -1f, 0.25f};

  /** The head's forward pass and gradients, evaluated by TensorFlow. */
  private record Evaluated(float[] kernel, float[] bias, float[] logits, float[] predictions, float loss,
      float[] kernelGrad, float[] biasGrad, float[] pooledGrad) {}

  private static Evaluated evaluate(TaskHead headSpec, Tensor labels) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> pooled = tf.placeholder(TFloat32.class,
          Placeholder.shape(org.tensorflow.ndarray.Shape.of(-1, HIDDEN)));
      HeadGraph head = headSpec.build(tf, pooled);
      List<Operand<?>> wrt = new ArrayList<>();
      head.variables().forEach(v -> wrt.add(v.handle()));
      wrt.add(pooled);
      var grads = tf.gradients(head.loss(), wrt);
      VariableTransfer values = VariableTransfer.build(tf, head.variables());
      s.initialize();
      Map<String, HostTensor> initial = values.read(s);
      try (TFloat32 x = TFloat32.tensorOf(org.tensorflow.ndarray.Shape.of(BATCH, HIDDEN),
              org.tensorflow.ndarray.buffer.DataBuffers.of(POOLED));
          Result r = s.runner().feed(pooled, x).feed(head.labels(), labels)
              .fetch(head.logits()).fetch(head.predictions()).fetch(head.loss())
              .fetch(grads.dy(0)).fetch(grads.dy(1)).fetch(grads.dy(2)).run()) {
        return new Evaluated(initial.get("head/kernel").toFloats(), initial.get("head/bias").toFloats(),
            floats(r.get(0)), floats(r.get(1)), floats(r.get(2))[0], floats(r.get(3)), floats(r.get(4)),
            floats(r.get(5)));
      }
    }
  }

  @Test
  void classificationLossAndGradientsMatchSoftmaxCrossEntropyByHand() {
    int classes = 3;
    int[] labels = {2, 0, 1};
    Evaluated e;
    try (TInt32 y = TInt32.vectorOf(labels)) {
      e = evaluate(new ClassificationHead(classes, 7), y);
    }
    double[][] z = logits(e.kernel(), e.bias(), classes);
    double loss = 0;
    double[][] dz = new double[BATCH][classes]; // d loss / d logits = (softmax - onehot) / batch
    for (int b = 0; b < BATCH; b++) {
      double max = Double.NEGATIVE_INFINITY;
      for (double v : z[b]) {
        max = Math.max(max, v);
      }
      double sum = 0;
      for (double v : z[b]) {
        sum += Math.exp(v - max);
      }
      for (int c = 0; c < classes; c++) {
        double p = Math.exp(z[b][c] - max) / sum;
        assertEquals(p, e.predictions()[b * classes + c], 1e-6, "probability");
        assertEquals(z[b][c], e.logits()[b * classes + c], 1e-6, "logit");
        dz[b][c] = (p - (labels[b] == c ? 1 : 0)) / BATCH;
      }
      loss -= (z[b][labels[b]] - max - Math.log(sum)) / BATCH;
    }
    assertEquals(loss, e.loss(), 1e-6 * loss, "cross-entropy");
    assertGradients(e, dz, classes);
  }

  @Test
  void regressionLossAndGradientsMatchMeanSquaredErrorByHand() {
    float[] targets = {0.3f, -1.2f, 2.5f};
    Evaluated e;
    try (TFloat32 y = TFloat32.vectorOf(targets)) {
      e = evaluate(new RegressionHead(11), y);
    }
    double[][] z = logits(e.kernel(), e.bias(), 1);
    double loss = 0;
    double[][] dz = new double[BATCH][1];
    for (int b = 0; b < BATCH; b++) {
      assertEquals(z[b][0], e.predictions()[b], 1e-6, "prediction");
      double diff = z[b][0] - targets[b];
      loss += diff * diff / BATCH;
      dz[b][0] = 2 * diff / BATCH;
    }
    assertEquals(3, e.predictions().length, "one prediction per example");
    assertEquals(loss, e.loss(), 1e-6 * loss, "mean squared error");
    assertGradients(e, dz, 1);
  }

  @Test
  void kernelStartsAsBertsTruncatedNormalAndBiasAtZero() {
    Evaluated e;
    try (TInt32 y = TInt32.vectorOf(0, 1, 0)) {
      e = evaluate(new ClassificationHead(2, 42), y);
    }
    assertArrayEquals(new float[2], e.bias());
    for (float w : e.kernel()) {
      assertTrue(Math.abs(w) <= 0.04f, "kernel value " + w + " beyond two standard deviations");
    }
    try (TInt32 y = TInt32.vectorOf(0, 1, 0)) {
      assertArrayEquals(e.kernel(), evaluate(new ClassificationHead(2, 42), y).kernel(), "same seed");
      assertFalse(java.util.Arrays.equals(e.kernel(), evaluate(new ClassificationHead(2, 43), y).kernel()),
          "another seed");
    }
  }

  @Test
  void truncatedNormalHasTheTruncatedSpread() {
    // A normal truncated at +-2 sigma keeps sd = sigma * 0.8796 (1 - 2*2*phi(2)/(Phi(2)-Phi(-2)) = 0.7737).
    float[] values = TruncatedNormalInit.sample(20000, 0.02, 1);
    double mean = 0;
    double squares = 0;
    for (float v : values) {
      assertTrue(Math.abs(v) <= 0.04f);
      mean += v / values.length;
      squares += (double) v * v / values.length;
    }
    assertEquals(0, mean, 0.0005);
    assertEquals(0.02 * Math.sqrt(0.7737), Math.sqrt(squares - mean * mean), 0.0005);
  }

  @Test
  void rejectsAPooledOutputWithoutAKnownWidth() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> pooled = tf.placeholder(TFloat32.class,
          Placeholder.shape(org.tensorflow.ndarray.Shape.of(-1, -1)));
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new RegressionHead(1).build(tf, pooled));
      assertTrue(e.getMessage().contains("pooled"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> new ClassificationHead(1, 0));
  }

  @Test
  void namesItsFeedsAndVariablesPredictably() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      Placeholder<TFloat32> pooled = tf.placeholder(TFloat32.class,
          Placeholder.shape(org.tensorflow.ndarray.Shape.of(-1, HIDDEN)));
      HeadGraph head = new ClassificationHead(2, 0).build(tf, pooled);
      assertEquals("head/labels", head.labels().op().name());
      assertEquals(List.of("head/kernel", "head/bias"),
          head.variables().stream().map(v -> v.name()).toList());
      assertNotNull(g.operation("head/kernel"));
    }
  }

  private static double[][] logits(float[] kernel, float[] bias, int outputs) {
    double[][] z = new double[BATCH][outputs];
    for (int b = 0; b < BATCH; b++) {
      for (int c = 0; c < outputs; c++) {
        double sum = bias[c];
        for (int h = 0; h < HIDDEN; h++) {
          sum += (double) POOLED[b * HIDDEN + h] * kernel[h * outputs + c];
        }
        z[b][c] = sum;
      }
    }
    return z;
  }

  /** dKernel = X^T dz, dBias = sum_b dz, dPooled = dz Kernel^T. */
  private static void assertGradients(Evaluated e, double[][] dz, int outputs) {
    for (int h = 0; h < HIDDEN; h++) {
      for (int c = 0; c < outputs; c++) {
        double expected = 0;
        for (int b = 0; b < BATCH; b++) {
          expected += POOLED[b * HIDDEN + h] * dz[b][c];
        }
        assertEquals(expected, e.kernelGrad()[h * outputs + c], 1e-6, "d loss / d kernel");
      }
    }
    for (int c = 0; c < outputs; c++) {
      double expected = 0;
      for (int b = 0; b < BATCH; b++) {
        expected += dz[b][c];
      }
      assertEquals(expected, e.biasGrad()[c], 1e-6, "d loss / d bias");
    }
    for (int b = 0; b < BATCH; b++) {
      for (int h = 0; h < HIDDEN; h++) {
        double expected = 0;
        for (int c = 0; c < outputs; c++) {
          expected += dz[b][c] * e.kernel()[h * outputs + c];
        }
        assertEquals(expected, e.pooledGrad()[b * HIDDEN + h], 1e-7, "d loss / d pooled output");
      }
    }
  }

  private static float[] floats(Tensor t) {
    return HostTensor.copyOf(t).toFloats();
  }
}

package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.tensorflow.Result;
import org.tensorflow.types.TFloat32;

/** Test inputs and comparisons of float arrays, shared by the graph rewrites' numeric tests. */
final class FloatArrays {
  private FloatArrays() {}

  /** {@code n} standard normal values from {@code seed}. */
  static float[] gaussian(int n, long seed) {
    Random random = new Random(seed);
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) random.nextGaussian();
    }
    return out;
  }

  /** Each of the first {@code count} results of a run, flattened. */
  static List<float[]> flat(Result result, int count) {
    List<float[]> values = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      TFloat32 t = (TFloat32) result.get(i);
      float[] a = new float[(int) t.size()];
      t.asRawTensor().data().asFloats().read(a);
      values.add(a);
    }
    return values;
  }

  /** Every element of {@code actual} within {@code tolerance} times the largest magnitude of {@code expected}. */
  static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
    double scale = 0;
    for (float v : expected) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], tolerance * scale, what + "[" + i + "]");
    }
  }
}

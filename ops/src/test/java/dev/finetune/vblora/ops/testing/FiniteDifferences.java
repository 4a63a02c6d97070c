package dev.finetune.vblora.ops.testing;

import org.tensorflow.Operand;

/**
 * Central-difference gradients of a scalar graph output with respect to a {@link GraphRunner} input:
 * (f(v + eps e_i) - f(v - eps e_i)) / (2 eps) for every element i. Meant for float64 graphs.
 */
public final class FiniteDifferences {
  private FiniteDifferences() {}

  public static double[] gradient(GraphRunner g, Operand<?> scalarLoss, Operand<?> input, double eps) {
    double[] base = g.valuesOf(input);
    double[] grad = new double[base.length];
    try {
      for (int i = 0; i < base.length; i++) {
        double[] v = base.clone();
        v[i] = base[i] + eps;
        g.set(input, v);
        double plus = g.run(scalarLoss)[0];
        v[i] = base[i] - eps;
        g.set(input, v);
        double minus = g.run(scalarLoss)[0];
        grad[i] = (plus - minus) / (2 * eps);
      }
    } finally {
      g.set(input, base);
    }
    return grad;
  }

  /** ||a - b|| / max(||a||, ||b||), 0 when both are zero. */
  public static double relativeError(double[] a, double[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("lengths differ: " + a.length + " vs " + b.length);
    }
    double diff = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      diff += (a[i] - b[i]) * (a[i] - b[i]);
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    double scale = Math.sqrt(Math.max(na, nb));
    return scale == 0 ? 0 : Math.sqrt(diff) / scale;
  }
}

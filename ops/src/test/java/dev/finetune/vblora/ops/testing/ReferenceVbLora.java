package dev.finetune.vblora.ops.testing;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * VB-LoRA and LoRA math in plain Java, written from the method's definition and PEFT's reshapes, for tests to
 * compare graph ops against. Arrays are row-major; shapes are given next to each parameter.
 */
public final class ReferenceVbLora {
  private ReferenceVbLora() {}

  /** Factors in TF layout: down {@code [in, r]}, up {@code [r, out]}, row-major. */
  public record Factors(int in, int rank, int out, double[] down, double[] up) {}

  /** Indices of the k largest of {@code row}, largest first; equal values go to the lower index (as TopKV2). */
  public static int[] topK(double[] row, int k) {
    return IntStream.range(0, row.length).boxed()
        .sorted(Comparator.comparingDouble((Integer i) -> -row[i]).thenComparingInt(i -> i))
        .limit(k).mapToInt(Integer::intValue).toArray();
  }

  /**
   * u = sum over s in topk(sigma) of softmax(top-k values)_s * bank[s], for every row sigma of logits.
   *
   * @param logits {@code [n, h]}
   * @param bank {@code [h, b]}
   * @return {@code [n, b]}
   */
  public static double[] admix(double[] logits, int h, double[] bank, int b, int k) {
    int n = logits.length / h;
    double[] out = new double[n * b];
    for (int row = 0; row < n; row++) {
      double[] sigma = Arrays.copyOfRange(logits, row * h, (row + 1) * h);
      int[] top = topK(sigma, k);
      double max = sigma[top[0]];
      double norm = 0;
      for (int s : top) {
        norm += Math.exp(sigma[s] - max);
      }
      for (int s : top) {
        double w = Math.exp(sigma[s] - max) / norm;
        for (int c = 0; c < b; c++) {
          out[row * b + c] += w * bank[s * b + c];
        }
      }
    }
    return out;
  }

  /**
   * PEFT's composition for one layer, step by step.
   *
   * @param logitsA {@code [r, in/b, h]}
   * @param logitsB {@code [out/b, r, h]}
   * @param bank {@code [h, b]}
   */
  public static Factors compose(int in, int out, int r, int h, int b, int k, double[] logitsA, double[] logitsB,
      double[] bank) {
    // A_pt = compose(logits_A).reshape(r, in): the composed [r, in/b, b] is already A_pt in row-major order.
    double[] aPt = admix(logitsA, h, bank, b, k);                                   // [r, in]
    // B_pt = compose(logits_B).transpose(1, 2).reshape(out, r)
    double[] composedB = admix(logitsB, h, bank, b, k);                             // [out/b, r, b]
    int blocks = out / b;
    double[] transposed = new double[blocks * b * r];                               // [out/b, b, r]
    for (int j = 0; j < blocks; j++) {
      for (int i = 0; i < r; i++) {
        for (int c = 0; c < b; c++) {
          transposed[(j * b + c) * r + i] = composedB[(j * r + i) * b + c];
        }
      }
    }
    double[] bPt = transposed;                                                      // reshape: [out, r]
    return new Factors(in, r, out, transpose(aPt, r, in), transpose(bPt, out, r));
  }

  /** PEFT's delta_W = B_pt @ A_pt, {@code [out, in]}, times scaling (PyTorch layout). */
  public static double[] peftDelta(Factors f, double scaling) {
    double[] aPt = transpose(f.down(), f.in(), f.rank());                           // [r, in]
    double[] bPt = transpose(f.up(), f.rank(), f.out());                            // [out, r]
    double[] delta = matMul(bPt, aPt, f.out(), f.rank(), f.in());
    return scale(delta, scaling);
  }

  /** TF-layout delta {@code [in, out]} = s * down @ up. */
  public static double[] delta(Factors f, double scaling) {
    return scale(matMul(f.down(), f.up(), f.in(), f.rank(), f.out()), scaling);
  }

  /**
   * y = base + s * (x down) up.
   *
   * @param x {@code [n, in]}
   * @param base {@code [n, out]}
   */
  public static double[] update(double[] x, double[] base, Factors f, double scaling) {
    int n = x.length / f.in();
    double[] low = matMul(x, f.down(), n, f.in(), f.rank());
    double[] up = matMul(low, f.up(), n, f.rank(), f.out());
    double[] y = base.clone();
    for (int i = 0; i < y.length; i++) {
      y[i] += scaling * up[i];
    }
    return y;
  }

  /** {@code [m, n]} -> {@code [n, m]}. */
  public static double[] transpose(double[] a, int m, int n) {
    double[] t = new double[a.length];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        t[j * m + i] = a[i * n + j];
      }
    }
    return t;
  }

  /** {@code [m, k] @ [k, n]}. */
  public static double[] matMul(double[] a, double[] b, int m, int k, int n) {
    double[] c = new double[m * n];
    for (int i = 0; i < m; i++) {
      for (int p = 0; p < k; p++) {
        double aip = a[i * k + p];
        for (int j = 0; j < n; j++) {
          c[i * n + j] += aip * b[p * n + j];
        }
      }
    }
    return c;
  }

  private static double[] scale(double[] a, double s) {
    double[] out = a.clone();
    for (int i = 0; i < out.length; i++) {
      out[i] *= s;
    }
    return out;
  }
}

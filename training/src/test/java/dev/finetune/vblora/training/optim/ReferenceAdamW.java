package dev.finetune.vblora.training.optim;

/**
 * torch.optim.AdamW (non-amsgrad, non-fused) and torch.nn.utils.clip_grad_norm_ written out in plain Java
 * doubles, step by step as torch's _single_tensor_adamw does them: the independent reference.
 */
final class ReferenceAdamW {
  private final double beta1;
  private final double beta2;
  private final double eps;
  private final double maxNorm;
  final double[][] params;
  final double[][] m;
  final double[][] v;
  private final double[] lr;
  private final double[] weightDecay;
  private int step;

  ReferenceAdamW(double[][] initial, double[] lr, double[] weightDecay, double beta1, double beta2, double eps,
      double maxNorm) {
    this.params = new double[initial.length][];
    this.m = new double[initial.length][];
    this.v = new double[initial.length][];
    for (int i = 0; i < initial.length; i++) {
      params[i] = initial[i].clone();
      m[i] = new double[initial[i].length];
      v[i] = new double[initial[i].length];
    }
    this.lr = lr;
    this.weightDecay = weightDecay;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.maxNorm = maxNorm;
  }

  /** One step with per-parameter learning rates scaled by {@code multiplier}; returns the unclipped norm. */
  double step(double[][] grads, double multiplier) {
    double sumSquares = 0;
    for (double[] g : grads) {
      for (double x : g) {
        sumSquares += x * x;
      }
    }
    double totalNorm = Math.sqrt(sumSquares);
    double clip = maxNorm > 0 ? Math.min(maxNorm / (totalNorm + 1e-6), 1.0) : 1.0;
    step++;
    double bc1 = 1 - Math.pow(beta1, step);
    double bc2 = 1 - Math.pow(beta2, step);
    for (int i = 0; i < params.length; i++) {
      double rate = lr[i] * multiplier;
      double stepSize = rate / bc1;
      for (int j = 0; j < params[i].length; j++) {
        double g = grads[i][j] * clip;
        params[i][j] *= 1 - rate * weightDecay[i];
        m[i][j] += (g - m[i][j]) * (1 - beta1);
        v[i][j] = v[i][j] * beta2 + g * g * (1 - beta2);
        double denom = Math.sqrt(v[i][j]) / Math.sqrt(bc2) + eps;
        params[i][j] -= stepSize * m[i][j] / denom;
      }
    }
    return totalNorm;
  }
}

package dev.finetune.vblora.ops;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.random.RandomUniform;
import org.tensorflow.types.TBool;
import org.tensorflow.types.family.TNumber;
import org.tensorflow.types.family.TType;

/**
 * Dropout on the adapter's input, as PEFT's lora_dropout / vblora_dropout: while training, each input element
 * is zeroed with probability {@code rate} and the others are scaled by 1 / (1 - rate); otherwise the input
 * passes unchanged. The base path y = x W never sees it.
 *
 * <p>The training switch is a graph input (a TBool, or a number where non-zero means training), so one graph
 * serves both training steps and evaluation. It selects arithmetically (mask = 1 + training * (keep - 1)), which
 * keeps the gradient to plain Mul/Sub ops.
 */
public final class AdapterDropout {
  private static final AdapterDropout NONE = new AdapterDropout(0, null, 0);

  private final double rate;
  private final Operand<? extends TType> training;
  private final long seed;

  private AdapterDropout(double rate, Operand<? extends TType> training, long seed) {
    this.rate = rate;
    this.training = training;
    this.seed = seed;
  }

  /** No dropout. */
  public static AdapterDropout none() {
    return NONE;
  }

  /** Dropout with a run-time random seed. */
  public static AdapterDropout of(double rate, Operand<? extends TType> training) {
    return of(rate, training, 0);
  }

  /**
   * Dropout whose random stream is fixed by {@code seed} (0 leaves it to TF).
   *
   * @param rate probability of zeroing an element, in [0, 1); 0 means {@link #none()}
   * @param training scalar TBool, or a scalar number where non-zero means training
   */
  public static AdapterDropout of(double rate, Operand<? extends TType> training, long seed) {
    if (!(rate >= 0 && rate < 1)) {
      throw new IllegalArgumentException("dropout rate must be in [0, 1), got " + rate);
    }
    if (rate == 0) {
      return NONE;
    }
    if (training == null) {
      throw new IllegalArgumentException("dropout rate " + rate + " needs a training switch operand");
    }
    if (!TBool.class.equals(training.type()) && !TNumber.class.isAssignableFrom(training.type())) {
      throw new IllegalArgumentException("the dropout training switch must be a TBool or a number, got "
          + training.type().getSimpleName());
    }
    if (training.shape().isUnknown() || !training.shape().isScalar()) {
      throw new IllegalArgumentException("the dropout training switch must be a scalar, got shape "
          + StaticShapes.format(training.shape()));
    }
    return new AdapterDropout(rate, training, seed);
  }

  public double rate() {
    return rate;
  }

  public boolean isNone() {
    return rate == 0;
  }

  /** x with dropout applied while training; x itself when there is no dropout. */
  public <T extends TNumber> Operand<T> apply(Ops tf, Operand<T> x) {
    if (isNone()) {
      return x;
    }
    Ops scope = tf.withSubScope("adapter_dropout");
    Class<T> type = x.type();
    Operand<T> uniform = scope.random.randomUniform(scope.shape(x), type,
        RandomUniform.seed(seed), RandomUniform.seed2(seed == 0 ? 0 : seed ^ 0x5DEECE66DL));
    Operand<T> keep = scope.math.div(
        scope.dtypes.cast(scope.math.greaterEqual(uniform, scope.constant(type, rate)), type),
        scope.constant(type, 1 - rate));
    Operand<T> isTraining = scope.dtypes.cast(training, type);
    Operand<T> one = scope.constant(type, 1);
    Operand<T> mask = scope.math.add(one, scope.math.mul(isTraining, scope.math.sub(keep, one)));
    return scope.math.mul(x, mask);
  }
}

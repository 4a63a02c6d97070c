package dev.finetune.vblora.ops;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TNumber;

/**
 * Initial values of VB-LoRA's trainable tensors, as PEFT initialises them: the bank ~ U(-bound, bound)
 * (init_vector_bank_bound, 0.02) and every logits tensor ~ N(0, std^2) (init_logits_std, 0.1; the paper used
 * 0.01). Unlike LoRA, the update is not zero at initialisation.
 *
 * <p>Stateless random ops seeded by (seed, what is initialised): reproducible in any graph and run, and
 * different for every layer and factor.
 */
public final class VbLoraInit {
  private VbLoraInit() {}

  /** The bank {@code [h, b]} ~ U(-bound, bound). */
  public static <T extends TNumber> Operand<T> bank(Ops tf, VbLoraDims dims, double bound, long seed, Class<T> type) {
    if (!(bound > 0) || Double.isInfinite(bound)) {
      throw new IllegalArgumentException("init_vector_bank_bound must be a positive finite number, got " + bound);
    }
    Ops scope = tf.withSubScope("vector_bank_init");
    Operand<T> unit = scope.random.statelessRandomUniform(scope.constant(dims.bankShape()),
        InitSeeds.of(scope, seed, "vector_bank"), type);                               // [0, 1)
    return scope.math.sub(scope.math.mul(unit, scope.constant(type, 2 * bound)), scope.constant(type, bound));
  }

  /** logits_A {@code [r, in/b, h]} ~ N(0, std^2). */
  public static <T extends TNumber> Operand<T> logitsA(Ops tf, LayerShape s, VbLoraDims dims, double std, long seed,
      Class<T> type) {
    return normal(tf.withSubScope("logits_a_init"), dims.logitsAShape(s), std, seed, "logits_A:" + s.name(), type);
  }

  /** logits_B {@code [out/b, r, h]} ~ N(0, std^2). */
  public static <T extends TNumber> Operand<T> logitsB(Ops tf, LayerShape s, VbLoraDims dims, double std, long seed,
      Class<T> type) {
    return normal(tf.withSubScope("logits_b_init"), dims.logitsBShape(s), std, seed, "logits_B:" + s.name(), type);
  }

  private static <T extends TNumber> Operand<T> normal(Ops tf, long[] shape, double std, long seed, String stream,
      Class<T> type) {
    if (!(std > 0) || Double.isInfinite(std)) {
      throw new IllegalArgumentException("init_logits_std must be a positive finite number, got " + std);
    }
    Operand<T> standard = tf.random.statelessRandomNormal(tf.constant(shape), InitSeeds.of(tf, seed, stream), type);
    return tf.math.mul(standard, tf.constant(type, std));
  }
}

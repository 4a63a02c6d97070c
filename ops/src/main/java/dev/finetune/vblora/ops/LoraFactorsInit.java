package dev.finetune.vblora.ops;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TNumber;

/**
 * Initial values of the LoRA baseline's factors, as PEFT initialises them (init_lora_weights=True):
 * lora_A kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(in), 1/sqrt(in)), and lora_B zero, so the adapted
 * model starts exactly at the base model.
 *
 * <p>The values come from stateless random ops seeded by (seed, layer name): the same seed reproduces them
 * in any graph and on any run, and different layers get different values. Use them as the initial values of
 * the factor variables (whichever kind of variable the caller creates).
 */
public final class LoraFactorsInit {
  private LoraFactorsInit() {}

  /** down {@code [in, r]} ~ U(-1/sqrt(in), 1/sqrt(in)) (PEFT's lora_A weight transposed; same fan-in). */
  public static <T extends TNumber> Operand<T> down(Ops tf, LayerShape s, LoraDims dims, long seed, Class<T> type) {
    Ops scope = tf.withSubScope("lora_down_init");
    double bound = 1 / Math.sqrt(s.inFeatures());
    Operand<T> unit = scope.random.statelessRandomUniform(scope.constant(dims.downShape(s)),
        InitSeeds.of(scope, seed, "lora_down:" + s.name()), type);                     // [0, 1)
    return scope.math.sub(scope.math.mul(unit, scope.constant(type, 2 * bound)), scope.constant(type, bound));
  }

  /** up {@code [r, out]} = 0 (PEFT's lora_B weight transposed). */
  public static <T extends TNumber> Operand<T> up(Ops tf, LayerShape s, LoraDims dims, Class<T> type) {
    return tf.withSubScope("lora_up_init").zeros(tf.constant(dims.upShape(s)), type);
  }
}

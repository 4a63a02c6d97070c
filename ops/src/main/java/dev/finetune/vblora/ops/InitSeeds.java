package dev.finetune.vblora.ops;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt64;

/**
 * Seeds for TF's stateless random ops: the run's seed plus a stream derived from what is initialised, so that
 * one seed gives every layer and factor its own reproducible values (String.hashCode is fixed by the JLS).
 */
final class InitSeeds {
  private InitSeeds() {}

  static Operand<TInt64> of(Ops tf, long seed, String stream) {
    return tf.constant(new long[] {seed, stream.hashCode()});
  }
}

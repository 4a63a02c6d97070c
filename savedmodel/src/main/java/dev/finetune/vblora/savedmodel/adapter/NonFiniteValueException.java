package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.error.VbLoraException;

/**
 * A tensor that must hold numbers holds NaN or infinity: a vector bank, LoRA factor, head or weight update
 * from a run that diverged or a damaged file. Merged into a model, it would make every output NaN (PEFT's
 * {@code safe_merge} refuses the same: "NaNs detected in the merged weights"). The message names the tensor
 * and the first bad element.
 */
public class NonFiniteValueException extends VbLoraException {
  private static final long serialVersionUID = 1L;

  /** What to do about an adapter file that holds such values. */
  public static final String ADAPTER_ADVICE = "merged, it would make every output of the model NaN; use an"
      + " adapter of a run that did not diverge, e.g. an earlier checkpoint's (VbLora.exportAdapter or"
      + " vblora export-adapter of RUN/checkpoints/step-N)";

  public NonFiniteValueException(String message) {
    super(message);
  }

  /**
   * Throws when {@code values} hold a NaN or an infinity.
   *
   * @param what the tensor, as the user knows it (e.g. "module bert.encoder.layer.0.attention.self.query:
   *     lora_A")
   * @param shape the tensor's shape, for the position of the first bad element
   */
  public static void requireFinite(String what, float[] values, long... shape) {
    int first = -1;
    int count = 0;
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) {
        count++;
        if (first < 0) {
          first = i;
        }
      }
    }
    if (first >= 0) {
      throw new NonFiniteValueException(what + " holds " + values[first] + " at " + position(first, shape)
          + (count > 1 ? " (" + count + " of its " + values.length + " values are NaN or infinite)" : ""));
    }
  }

  /** Row-major index {@code flat} as [i, j, ...] of {@code shape}. */
  private static String position(int flat, long[] shape) {
    if (shape.length == 0) {
      return "element " + flat;
    }
    long[] index = new long[shape.length];
    long rest = flat;
    for (int d = shape.length - 1; d >= 0; d--) {
      index[d] = rest % shape[d];
      rest /= shape[d];
    }
    return java.util.Arrays.toString(index);
  }
}

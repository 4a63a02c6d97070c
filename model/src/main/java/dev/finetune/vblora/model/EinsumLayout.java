package dev.finetune.vblora.model;

import java.util.List;
import java.util.Optional;

/**
 * Reads an Einsum that applies a kernel to activations as a linear map (Keras EinsumDense, e.g.
 * {@code abc,cde->abde}): the kernel's letters shared with the activation and summed away are its input
 * side, the letters kept in the output are its output side.
 */
final class EinsumLayout {
  private EinsumLayout() {}

  /**
   * [d_in, d_out] of the kernel at {@code weightInput}, or empty when the equation is no plain linear map of
   * it (a kernel letter that is a batch dimension or summed alone, an ellipsis in the kernel, not two inputs).
   */
  static Optional<long[]> features(String equation, int weightInput, List<Long> kernelShape) {
    String compact = equation.replace(" ", "");
    int arrow = compact.indexOf("->");
    if (arrow < 0) {
      return Optional.empty();
    }
    String[] operands = compact.substring(0, arrow).split(",");
    String output = compact.substring(arrow + 2).replace("...", "");
    if (operands.length != 2 || operands[weightInput].contains("...")) {
      return Optional.empty();
    }
    String weight = operands[weightInput];
    String activation = operands[1 - weightInput].replace("...", "");
    if (weight.length() != kernelShape.size()) {
      return Optional.empty();
    }
    long in = 1;
    long out = 1;
    boolean anyIn = false;
    boolean anyOut = false;
    for (int i = 0; i < weight.length(); i++) {
      char letter = weight.charAt(i);
      boolean inActivation = activation.indexOf(letter) >= 0;
      boolean inOutput = output.indexOf(letter) >= 0;
      if (inActivation == inOutput) {
        return Optional.empty(); // batch letter (both) or reduced over the kernel alone (neither)
      }
      if (inActivation) {
        in *= kernelShape.get(i);
        anyIn = true;
      } else {
        out *= kernelShape.get(i);
        anyOut = true;
      }
    }
    return anyIn && anyOut ? Optional.of(new long[] {in, out}) : Optional.empty();
  }

  /**
   * True when the Einsum is a matmul in disguise: the kernel (input 1) lists its input letters first, the
   * activation ends with them in that order, and the output is the activation's other letters followed by the
   * kernel's output letters ({@code abc,cde->abde}, {@code abcd,cde->abe}). Then the Einsum equals the
   * activation reshaped to [-1, d_in] times the kernel reshaped to [d_in, d_out], reshaped back, so a low-rank
   * update can be added the same way.
   */
  static boolean matmulLike(String equation, int weightInput) {
    String compact = equation.replace(" ", "");
    int arrow = compact.indexOf("->");
    if (weightInput != 1 || arrow < 0 || compact.contains("...")) {
      return false;
    }
    String[] operands = compact.substring(0, arrow).split(",");
    if (operands.length != 2) {
      return false;
    }
    String activation = operands[0];
    String weight = operands[1];
    String output = compact.substring(arrow + 2);
    int in = 0;
    while (in < weight.length() && activation.indexOf(weight.charAt(in)) >= 0) {
      in++;
    }
    String inLetters = weight.substring(0, in);
    String outLetters = weight.substring(in);
    String batch = activation.substring(0, Math.max(0, activation.length() - in));
    return in > 0 && !outLetters.isEmpty() && activation.endsWith(inLetters)
        && output.equals(batch + outLetters);
  }
}

package dev.finetune.vblora.savedmodel.export;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.savedmodel.adapter.NonFiniteValueException;
import java.util.List;
import java.util.Objects;

/**
 * A trained task head (dense layer on one of the model's outputs) frozen into the merged graph as constants.
 *
 * @param inputOutputKey the features the head reads: a signature output, e.g. {@code pooled_output}, or a tensor of
 *     the serving path (node:index, or a function's node by its name there)
 * @param pooling how a sequence [batch, length, hidden] of features is pooled: {@code none}, {@code cls} (first
 *     token) or {@code mean} (over the tokens whose {@code maskInput} is 1)
 * @param maskInput the signature input holding the mask, for mean pooling (else null)
 * @param kernel [hidden, classes]
 * @param bias [classes]
 * @param classification true: outputs {@code logits} and {@code probabilities} (softmax); false (regression):
 *     {@code predictions} [batch] only
 * @param labelNames the class names in output order (empty for regression), recorded for users of the export
 */
public record HeadWeights(String inputOutputKey, String pooling, String maskInput, float[][] kernel, float[] bias,
    boolean classification, List<String> labelNames) {

  /** A head on a [batch, hidden] signature output. */
  public HeadWeights(String inputOutputKey, float[][] kernel, float[] bias, boolean classification,
      List<String> labelNames) {
    this(inputOutputKey, NONE, null, kernel, bias, classification, labelNames);
  }

  public static final String NONE = "none";
  public static final String CLS = "cls";
  public static final String MEAN = "mean";

  public HeadWeights {
    Objects.requireNonNull(inputOutputKey, "inputOutputKey");
    if (!List.of(NONE, CLS, MEAN).contains(pooling)) {
      throw new VbLoraException("head pooling '" + pooling + "' must be none, cls or mean");
    }
    if (pooling.equals(MEAN) && maskInput == null) {
      throw new VbLoraException("mean pooling needs the model's mask input");
    }
    if (kernel.length == 0 || kernel[0].length == 0) {
      throw new VbLoraException("head kernel must be [hidden, classes] with both sizes > 0");
    }
    if (bias.length != kernel[0].length) {
      throw new VbLoraException("head bias has " + bias.length + " entries but the kernel has "
          + kernel[0].length + " output columns");
    }
    for (int i = 0; i < kernel.length; i++) {
      NonFiniteValueException.requireFinite("the head's kernel row " + i, kernel[i], kernel[i].length);
    }
    NonFiniteValueException.requireFinite("the head's bias", bias, bias.length);
    if (classification && !labelNames.isEmpty() && labelNames.size() != bias.length) {
      throw new VbLoraException("the head has " + bias.length + " outputs but " + labelNames.size()
          + " label names " + labelNames + "; give one name per output, in class-id order");
    }
    labelNames = List.copyOf(labelNames);
  }

  public int hiddenSize() {
    return kernel.length;
  }

  public int outputSize() {
    return bias.length;
  }
}

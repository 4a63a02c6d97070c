package dev.finetune.vblora.savedmodel.io;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.Task;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The loss that fits a model's own output. */
public enum LossKind {
  /** Softmax probabilities or logits over classes: categorical cross entropy. */
  CROSS_ENTROPY("cross-entropy", Task.CLASSIFICATION),
  /** A sigmoid (or its logit) of one value: binary cross entropy, two classes 0 and 1. */
  BINARY_CROSS_ENTROPY("binary-cross-entropy", Task.CLASSIFICATION),
  /** A linear output of values: mean squared error. */
  MSE("mse", Task.REGRESSION);

  private final String label;
  private final Task task;

  LossKind(String label, Task task) {
    this.label = label;
    this.task = task;
  }

  public String label() {
    return label;
  }

  /** What the labels are: class ids, or values. */
  public Task task() {
    return task;
  }

  public static LossKind parse(String value) {
    for (LossKind kind : values()) {
      if (kind.label.equals(value.toLowerCase(Locale.ROOT))) {
        return kind;
      }
    }
    throw new VbLoraException("unknown loss '" + value + "'; the losses are "
        + Arrays.stream(values()).map(LossKind::label).collect(Collectors.joining(", ")));
  }

  /**
   * The loss for an output computed by {@code producerOp} with {@code width} values per example: Softmax ->
   * cross entropy, Sigmoid -> binary cross entropy, anything else (linear) -> cross entropy on logits when it
   * has several values, mean squared error for one.
   */
  public static LossKind detect(String producerOp, long width) {
    return switch (producerOp) {
      case "Softmax" -> CROSS_ENTROPY;
      case "Sigmoid" -> BINARY_CROSS_ENTROPY;
      default -> width > 1 ? CROSS_ENTROPY : MSE;
    };
  }
}

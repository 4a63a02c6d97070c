package dev.finetune.vblora.model;

import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TType;

/**
 * Where the values a training step is fed come from: placeholders fed with every session call ({@link #PLAIN}),
 * or placeholders that read their staged row when not fed ({@link #staged}, see {@link StepStaging}). Heads,
 * losses and optimizers build their fed values through this, so that one graph serves both kinds of step.
 */
public interface FedValues {
  // The names of what a training step is fed besides the signature's inputs: each is the name of the op that
  // takes it and, staged, of its slot. One definition, so that the graph's ops and the trainer's staged groups
  // cannot drift apart.

  /** True in a training step (adapter dropout), false in predictions and serving. */
  String TRAINING = "training";
  /** The labels: class ids or regression targets, one per row. */
  String LABELS = "labels";
  /** Each row's weight in the loss (0 for padding rows). */
  String EXAMPLE_WEIGHTS = "example_weights";
  /** The learning rate's schedule factor of the step. */
  String LEARNING_RATE_MULTIPLIER = "learning_rate_multiplier";

  /** Placeholders as usual: fed, or their default. */
  FedValues PLAIN = new FedValues() {
    @Override
    public <T extends TType> Operand<T> placeholder(Ops scope, String name, Class<T> type, Shape shape) {
      return scope.withName(name).placeholder(type, org.tensorflow.op.core.Placeholder.shape(shape));
    }

    @Override
    public <T extends TType> Operand<T> withDefault(Ops scope, String name, Operand<T> fallback, Shape shape) {
      return scope.withName(name).placeholderWithDefault(fallback, shape);
    }
  };

  /** A value every step feeds, op {@code name} in {@code scope}. */
  <T extends TType> Operand<T> placeholder(Ops scope, String name, Class<T> type, Shape shape);

  /**
   * A value a step may feed, {@code fallback} when it does not; staged, the staged row replaces the fallback (a
   * staged step stages every value).
   */
  <T extends TType> Operand<T> withDefault(Ops scope, String name, Operand<T> fallback, Shape shape);

  /** Every value a slot of {@code staging}, the slot named as the op (labels, example_weights, ...). */
  static FedValues staged(StepStaging staging) {
    return new FedValues() {
      @Override
      public <T extends TType> Operand<T> placeholder(Ops scope, String name, Class<T> type, Shape shape) {
        return staging.placeholder(scope.withName(name), name, type, shape);
      }

      @Override
      public <T extends TType> Operand<T> withDefault(Ops scope, String name, Operand<T> fallback, Shape shape) {
        return placeholder(scope, name, fallback.type(), shape);
      }
    };
  }
}

package dev.finetune.vblora.training;

import dev.finetune.vblora.data.Counted;
import dev.finetune.vblora.data.batch.EncodedDataset;
import java.util.Optional;

/**
 * What the truncation to the maximum length cut, said once: the model learns from (or is scored on) the examples'
 * beginnings only, as Hugging Face's truncation=True does silently. Train and eval word it alike.
 */
public final class TruncationWarning {
  private TruncationWarning() {}

  /**
   * For a training run: how many training and validation examples were cut; empty when every example fit.
   *
   * @param lengthFixedByModel whether the model's signature set the length, below the one asked for
   */
  static Optional<String> forTraining(EncodedDataset train, EncodedDataset valid, boolean lengthFixedByModel) {
    if (train.truncated() == 0 && valid.truncated() == 0) {
      return Optional.empty();
    }
    String training = train.truncated() == 0 ? "" : ofThe(train, "training example");
    String validation = valid.truncated() == 0 ? "" : ofThe(valid, "validation example");
    boolean one = train.truncated() + valid.truncated() == 1;
    return Optional.of(training + (training.isEmpty() || validation.isEmpty() ? "" : " and ") + validation
        + cutTo(one, train.maxLength(), lengthFixedByModel, ""));
  }

  /**
   * For scoring: how many of the scored examples were cut, whose scores are then of their beginnings only; empty
   * when every example fit.
   *
   * @param lengthFixedByModel whether the model's signature set the length, below the one asked for
   */
  public static Optional<String> forEvaluation(EncodedDataset scored, boolean lengthFixedByModel) {
    if (scored.truncated() == 0) {
      return Optional.empty();
    }
    return Optional.of(ofThe(scored, "example") + cutTo(scored.truncated() == 1, scored.maxLength(), lengthFixedByModel,
        " and scored on what was kept"));
  }

  /** "3 of the 100 training examples". */
  private static String ofThe(EncodedDataset dataset, String noun) {
    return dataset.truncated() + " of the " + Counted.of(dataset.size(), noun);
  }

  /** "... are longer than the maximum length, 64 tokens, and were cut to it{consequence} (...); what to do". */
  private static String cutTo(boolean one, int maxLength, boolean lengthFixedByModel, String consequence) {
    return (one ? " is" : " are") + " longer than the maximum length, " + maxLength + " tokens, and "
        + (one ? "was" : "were") + " cut to it" + consequence + " (a text's end;"
        + " a pair's longer text first); " + (lengthFixedByModel
            ? "the model's signature fixes that length, so only a model exported for longer inputs keeps more"
            : "raise the maximum length (--max-length; maxLength in Java), as far as the model's inputs take, to keep"
                + " more of them");
  }
}

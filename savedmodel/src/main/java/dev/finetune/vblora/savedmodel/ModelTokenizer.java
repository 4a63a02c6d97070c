package dev.finetune.vblora.savedmodel;

import dev.finetune.vblora.data.tokenizer.ResolvedTokenizer;
import dev.finetune.vblora.data.tokenizer.TokenizerOptions;
import dev.finetune.vblora.data.tokenizer.TokenizerResolver;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The tokenizer of a SavedModel folder: {@link TokenizerResolver} over the model's files, and its checkpoint
 * for a saved {@code do_lower_case} variable. What train, eval and the demo tokenize with.
 */
public final class ModelTokenizer {
  private static final TokenizerResolver RESOLVER = new TokenizerResolver(List.of(new CheckpointLowerCase()));

  private ModelTokenizer() {}

  /** The tokenizer of the model in {@code modelFolder}; what {@code options} gives wins over the model. */
  public static ResolvedTokenizer resolve(Path modelFolder, TokenizerOptions options) throws IOException {
    return RESOLVER.resolve(modelFolder, options);
  }
}

package dev.finetune.vblora.data.tokenizer;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.data.json.JsonSyntaxException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Refuses a model whose files show a tokenizer other than WordPiece, naming it, instead of tokenizing its text
 * with a vocabulary it was not trained with. The signs: a SentencePiece model file (spiece.model,
 * sentencepiece.model, any *.model), byte-pair encoding (merges.txt, as GPT-2 and RoBERTa ship it with
 * vocab.json), or a Hugging Face tokenizer.json whose model type is not WordPiece.
 */
final class WordPieceRequirement {
  static final String TOKENIZER_JSON = "tokenizer.json";
  private static final String WORD_PIECE = "WordPiece";

  private WordPieceRequirement() {}

  static void check(TokenizerFiles files) throws TokenizerException {
    Optional<String> declared = tokenizerJsonType(files);
    if (declared.isPresent() && declared.get().equals(WORD_PIECE)) {
      return; // tokenizer.json is what Hugging Face itself loads: it decides over loose files
    }
    Optional<String> foreign = declared.map(type -> describeType(type) + " (" + files.describe(
        files.named(TOKENIZER_JSON).orElseThrow()) + ": model.type " + type + ")");
    if (foreign.isEmpty()) {
      List<Path> sentencePiece = files.matching(name -> name.endsWith(".model"));
      if (!sentencePiece.isEmpty()) {
        foreign = Optional.of("a SentencePiece tokenizer (" + files.describe(sentencePiece.get(0)) + ")");
      }
    }
    if (foreign.isEmpty()) {
      Optional<Path> merges = files.named("merges.txt");
      if (merges.isPresent()) {
        foreign = Optional.of("a byte-pair encoding (BPE) tokenizer (" + files.describe(merges.get())
            + files.named("vocab.json").map(v -> " and " + files.describe(v)).orElse("") + ")");
      }
    }
    if (foreign.isPresent()) {
      throw new TokenizerException("model " + files.folder() + " uses " + foreign.get() + ", not WordPiece;"
          + " vblora tokenizes text with WordPiece only (a BERT-style vocab.txt) and does not guess another"
          + " tokenizer's ids. To train or evaluate this model, give it pre-tokenized input (a JSONL data file"
          + " with one array of ids per signature input, made with the model's own tokenizer), or give a"
          + " WordPiece vocab file that matches the model's embeddings", TokenizerException.Setting.VOCAB);
    }
  }

  /** The model type a Hugging Face tokenizer.json declares, if there is one. */
  private static Optional<String> tokenizerJsonType(TokenizerFiles files) throws TokenizerException {
    Optional<Path> file = files.named(TOKENIZER_JSON);
    if (file.isEmpty()) {
      return Optional.empty();
    }
    Object type = null;
    try {
      Object json = Json.parse(Files.readString(file.get(), StandardCharsets.UTF_8));
      if (json instanceof Map<?, ?> root && root.get("model") instanceof Map<?, ?> model) {
        type = model.get("type");
      }
    } catch (IOException | JsonSyntaxException e) {
      throw new TokenizerException(file.get() + " cannot be read as a Hugging Face tokenizer.json (" + e.getMessage()
          + "); fix or remove it", TokenizerException.Setting.VOCAB, e);
    }
    return Optional.ofNullable(type).map(Object::toString);
  }

  private static String describeType(String type) {
    return switch (type) {
      case "BPE" -> "a byte-pair encoding (BPE) tokenizer";
      case "Unigram" -> "a SentencePiece Unigram tokenizer";
      case "WordLevel" -> "a word-level tokenizer";
      default -> "a " + type + " tokenizer";
    };
  }
}

package dev.finetune.vblora.data.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The one place where a model's tokenizer is set up (train, eval and the demo all come here): the WordPiece
 * vocabulary and the lower-casing, each given by the user ({@link TokenizerOptions}) or read from the model.
 *
 * <p>Vocabulary: the given file; else the model's assets/vocab.txt, else the one assets/*vocab*.txt (TF Hub and
 * Model Garden exports), else a vocab.txt beside the model (Hugging Face exports). Before looking, a model whose
 * files show another kind of tokenizer (SentencePiece, BPE) is refused, naming it. Lower-casing: the given
 * setting; else the model's metadata ({@link LowerCaseMetadata}, then the extra sources, e.g. a
 * {@code do_lower_case} variable in the checkpoint); else an error: cased and uncased models take the same
 * vocabulary format, and the wrong choice silently maps much of the text to [UNK], so it is never defaulted.
 */
public final class TokenizerResolver {
  /** A further place to read a model's lower-casing from, consulted after its files. */
  @FunctionalInterface
  public interface LowerCaseSource {
    Optional<LowerCaseSetting> find(Path modelFolder) throws IOException;
  }

  private final List<LowerCaseSource> extraSources;

  public TokenizerResolver(List<LowerCaseSource> extraSources) {
    this.extraSources = List.copyOf(extraSources);
  }

  /** A resolver that reads the model's files only. */
  public static TokenizerResolver filesOnly() {
    return new TokenizerResolver(List.of());
  }

  /** The tokenizer of the model in {@code modelFolder}, with what {@code options} gives taking precedence. */
  public ResolvedTokenizer resolve(Path modelFolder, TokenizerOptions options) throws IOException {
    TokenizerFiles files = TokenizerFiles.in(modelFolder);
    Path vocabFile = options.vocab() != null ? givenVocab(options.vocab()) : modelVocab(files);
    Vocabulary vocabulary;
    try (InputStream in = Files.newInputStream(vocabFile)) {
      vocabulary = Vocabulary.read(in, vocabFile.toString());
    }
    LowerCaseSetting lowerCase = options.lowerCase() != null
        ? LowerCaseSetting.given(options.lowerCase()) : modelLowerCase(files, vocabFile, vocabulary);
    return new ResolvedTokenizer(WordPieceTokenizer.of(vocabulary, vocabFile.toString(), lowerCase.lowerCase()),
        vocabFile, lowerCase);
  }

  private static Path givenVocab(Path vocab) throws TokenizerException {
    if (!Files.isRegularFile(vocab)) {
      throw new TokenizerException("vocab file " + vocab + " does not exist; give a WordPiece vocab.txt (one token"
          + " per line)", TokenizerException.Setting.VOCAB);
    }
    return vocab;
  }

  private static Path modelVocab(TokenizerFiles files) throws TokenizerException {
    WordPieceRequirement.check(files);
    Path assets = files.folder().resolve(TokenizerFiles.ASSETS);
    Optional<Path> standard = files.named("vocab.txt").filter(f -> f.getParent().equals(assets));
    if (standard.isPresent()) {
      return standard.get();
    }
    List<Path> inAssets = files.matching(TokenizerResolver::vocabularyName).stream()
        .filter(f -> f.getParent().equals(assets)).toList();
    if (inAssets.size() == 1) {
      return inAssets.get(0);
    }
    if (inAssets.size() > 1) {
      throw new TokenizerException("model " + files.folder() + " has several vocabularies in assets/ ("
          + inAssets.stream().map(files::describe).toList() + "); give the one its tokenizer uses explicitly",
          TokenizerException.Setting.VOCAB);
    }
    Optional<Path> beside = files.named("vocab.txt");
    if (beside.isPresent()) {
      return beside.get();
    }
    List<Path> elsewhere = files.elsewhere(TokenizerResolver::vocabularyName);
    throw new TokenizerException("model " + files.folder() + " ships no WordPiece vocabulary where a SavedModel"
        + " keeps one (looked for assets/vocab.txt, assets/*vocab*.txt and vocab.txt); give the vocab.txt it was"
        + " trained with explicitly" + (elsewhere.isEmpty() ? "" : ". It has "
        + elsewhere.stream().map(files::describe).toList() + " in a folder of its own: give that file if the"
        + " model was trained with it"), TokenizerException.Setting.VOCAB);
  }

  /** *vocab*.txt: how TF Hub, Model Garden and ALBERT name a WordPiece vocabulary beside the standard vocab.txt. */
  private static boolean vocabularyName(String name) {
    return name.contains("vocab") && name.endsWith(".txt");
  }

  private LowerCaseSetting modelLowerCase(TokenizerFiles files, Path vocabFile, Vocabulary vocabulary)
      throws IOException {
    Optional<LowerCaseSetting> found = LowerCaseMetadata.read(files);
    for (int i = 0; found.isEmpty() && i < extraSources.size(); i++) {
      found = extraSources.get(i).find(files.folder());
    }
    if (found.isPresent()) {
      return found.get();
    }
    long cased = casedEntries(vocabulary);
    throw new TokenizerException("model " + files.folder() + " does not record whether its tokenizer lower-cases"
        + " (looked for assets/model.json doLowerCase, tokenizer_config.json do_lower_case, tokenizer.json's"
        + " BertNormalizer, a do_lower_case asset or checkpoint variable); set lower-casing explicitly: true for"
        + " an uncased model, false for a cased one. Its vocabulary " + vocabFile + " has " + cased + " of "
        + vocabulary.size() + " entries with capital letters (not counting special tokens such as [CLS] and <S>),"
        + " which suggests " + (cased == 0 ? "true (uncased)" : "false (cased)"),
        TokenizerException.Setting.LOWER_CASE);
  }

  /**
   * Entries that lower-casing would change, other than special tokens in brackets: BERT's [CLS] and [unused0],
   * and the &lt;S&gt; and &lt;T&gt; of Google's Chinese vocabularies (ALBERT's), whose capitals say nothing about
   * the text's casing.
   */
  private static long casedEntries(Vocabulary vocabulary) {
    return vocabulary.tokens().stream()
        .filter(token -> !special(token))
        .filter(token -> !token.equals(token.toLowerCase(Locale.ROOT)))
        .count();
  }

  private static boolean special(String token) {
    return token.length() > 2 && (token.startsWith("[") && token.endsWith("]")
        || token.startsWith("<") && token.endsWith(">"));
  }
}

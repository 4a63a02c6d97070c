package dev.finetune.vblora.data.tokenizer;

import dev.finetune.vblora.data.error.VbLoraException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * BERT's WordPiece tokenizer driven by a model's own vocab.txt; it gives the same ids as Hugging Face's
 * {@code BertTokenizer} (do_lower_case=True for uncased models, False for cased ones). A model's tokenizer
 * (its vocabulary and lower-casing, as its files record them) is set up by {@link TokenizerResolver}.
 *
 * <p>A text is cut at the special tokens it contains literally ("[SEP]", "[CLS]"...: they keep their
 * special ids, as in Hugging Face), the rest is normalised and split into words ({@link BasicTokenizer}),
 * and each word into word pieces ({@link WordPieceSplitter}). {@link #encode} adds [CLS]/[SEP], segment ids
 * and the attention mask, and truncates to a maximum length: a single text by cutting its end, a pair
 * "longest first" ({@link PairTruncation}).
 */
public final class WordPieceTokenizer {
  public static final String CLS = "[CLS]";
  public static final String SEP = "[SEP]";
  public static final String PAD = "[PAD]";
  public static final String UNK = "[UNK]";
  public static final String MASK = "[MASK]";

  private final Vocabulary vocabulary;
  private final String source;
  private final BasicTokenizer basic;
  private final WordPieceSplitter splitter;
  /** The special tokens this vocabulary has; they are matched in raw text. */
  private final List<String> specialTokens;

  private WordPieceTokenizer(Vocabulary vocabulary, String source, boolean lowerCase) {
    this.vocabulary = vocabulary;
    this.source = source;
    this.basic = new BasicTokenizer(lowerCase);
    requireToken(UNK);
    this.splitter = new WordPieceSplitter(vocabulary, UNK);
    List<String> specials = new ArrayList<>();
    for (String special : List.of(PAD, UNK, CLS, SEP, MASK)) {
      if (vocabulary.contains(special)) {
        specials.add(special);
      }
    }
    this.specialTokens = Collections.unmodifiableList(specials);
  }

  /** An uncased (lower-casing, accent-stripping) tokenizer for the vocab.txt at {@code vocabFile}. */
  public static WordPieceTokenizer fromVocab(Path vocabFile) throws IOException {
    return fromVocab(vocabFile, true);
  }

  /** A tokenizer for the vocab.txt at {@code vocabFile}; {@code lowerCase} false for cased models. */
  public static WordPieceTokenizer fromVocab(Path vocabFile, boolean lowerCase) throws IOException {
    if (!Files.isRegularFile(vocabFile)) {
      throw new NoSuchFileException(vocabFile.toString(), null,
          "vocabulary file not found; a BERT SavedModel keeps it at assets/vocab.txt");
    }
    try (InputStream in = Files.newInputStream(vocabFile)) {
      return new WordPieceTokenizer(Vocabulary.read(in, vocabFile.toString()), vocabFile.toString(), lowerCase);
    }
  }

  /**
   * The tokenizer a model folder's files describe ({@link TokenizerResolver#filesOnly()}): its vocabulary and
   * its recorded lower-casing; a model that records none is an error.
   */
  public static WordPieceTokenizer fromSavedModel(Path modelDir) throws IOException {
    return TokenizerResolver.filesOnly().resolve(modelDir, TokenizerOptions.FROM_MODEL).tokenizer();
  }

  /** An uncased tokenizer for a vocab.txt stream (not closed here). */
  public static WordPieceTokenizer fromVocab(InputStream vocabTxt) throws IOException {
    return new WordPieceTokenizer(Vocabulary.read(new NonClosingInputStream(vocabTxt), "stream"), "stream", true);
  }

  /** A tokenizer for a vocabulary already in memory. */
  public static WordPieceTokenizer of(Vocabulary vocabulary, boolean lowerCase) {
    return of(vocabulary, "in-memory vocabulary", lowerCase);
  }

  /** As {@link #of(Vocabulary, boolean)}; {@code source} names the vocabulary in error messages. */
  static WordPieceTokenizer of(Vocabulary vocabulary, String source, boolean lowerCase) {
    return new WordPieceTokenizer(vocabulary, source, lowerCase);
  }

  public Vocabulary vocabulary() {
    return vocabulary;
  }

  /** The id that padding positions carry. */
  public int padId() {
    return requireToken(PAD);
  }

  /** The word pieces of {@code text}, without [CLS]/[SEP] and without truncation. */
  public List<String> tokenize(String text) {
    List<String> pieces = new ArrayList<>();
    int start = 0;
    while (start < text.length()) {
      int next = text.length();
      String special = null;
      for (String candidate : specialTokens) {
        int at = text.indexOf(candidate, start);
        if (at >= 0 && at < next) {
          next = at;
          special = candidate;
        }
      }
      for (String word : basic.split(text.substring(start, next))) {
        splitter.split(word, pieces);
      }
      if (special != null) {
        pieces.add(special);
        next += special.length();
      }
      start = next;
    }
    return pieces;
  }

  /**
   * The model input for a text, or a text pair when {@code textPair} is not null, truncated to at most
   * {@code maxLength} positions and not padded.
   */
  public Encoding encode(String text, String textPair, int maxLength) {
    int specials = textPair == null ? 2 : 3;
    if (maxLength < specials) {
      throw new VbLoraException("max length " + maxLength + " leaves no room for [CLS] and [SEP]"
          + (textPair == null ? "" : " twice") + "; use at least " + specials);
    }
    List<String> first = tokenize(text);
    List<String> second = textPair == null ? List.of() : tokenize(textPair);
    int keepFirst;
    int keepSecond;
    if (textPair == null) {
      keepFirst = Math.min(first.size(), maxLength - 2);
      keepSecond = 0;
    } else {
      int[] keep = PairTruncation.keep(first.size(), second.size(), maxLength - 3);
      keepFirst = keep[0];
      keepSecond = keep[1];
    }
    List<String> tokens = new ArrayList<>(keepFirst + keepSecond + specials);
    tokens.add(CLS);
    tokens.addAll(first.subList(0, keepFirst));
    tokens.add(SEP);
    int firstSegmentLength = tokens.size();
    if (textPair != null) {
      tokens.addAll(second.subList(0, keepSecond));
      tokens.add(SEP);
    }
    int[] ids = new int[tokens.size()];
    int[] types = new int[tokens.size()];
    int[] mask = new int[tokens.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = requireToken(tokens.get(i));
      types[i] = i < firstSegmentLength ? 0 : 1;
      mask[i] = 1;
    }
    return new Encoding(tokens, ids, types, mask, first.size() - keepFirst + second.size() - keepSecond);
  }

  /** As {@link #encode(String, String, int)}, then padded to exactly {@code maxLength} positions. */
  public Encoding encodePadded(String text, String textPair, int maxLength) {
    return pad(encode(text, textPair, maxLength), maxLength);
  }

  /** {@code encoding} with [PAD] positions (segment 0, mask 0) appended up to {@code length}. */
  public Encoding pad(Encoding encoding, int length) {
    if (length < encoding.length()) {
      throw new VbLoraException("cannot pad an encoding of " + encoding.length()
          + " positions to " + length + "; truncate it with a smaller max length instead");
    }
    int padId = padId();
    int n = encoding.length();
    List<String> tokens = new ArrayList<>(encoding.tokens());
    tokens.addAll(Collections.nCopies(length - n, PAD));
    int[] ids = Arrays.copyOf(encoding.inputIds(), length);
    Arrays.fill(ids, n, length, padId);
    return new Encoding(tokens, ids, Arrays.copyOf(encoding.tokenTypeIds(), length),
        Arrays.copyOf(encoding.attentionMask(), length), encoding.droppedTokens());
  }

  private int requireToken(String token) {
    return vocabulary.idOf(token).orElseThrow(() -> new VbLoraException("vocabulary " + source
        + " has no token " + token + "; give the model's own WordPiece vocab.txt (BERT: assets/vocab.txt)"));
  }
}

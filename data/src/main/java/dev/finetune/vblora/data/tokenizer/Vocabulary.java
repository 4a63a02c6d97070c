package dev.finetune.vblora.data.tokenizer;

import dev.finetune.vblora.data.error.VbLoraException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A WordPiece vocabulary: one token per line of vocab.txt, the line number (from 0) being its id.
 *
 * <p>As in Hugging Face, a line is a token as it stands (only the line break is dropped), and a token listed
 * twice keeps the id of its last line (the earlier id still decodes to it).
 */
public final class Vocabulary {
  private final List<String> tokens;
  private final Map<String, Integer> ids;

  private Vocabulary(List<String> tokens) {
    this.tokens = Collections.unmodifiableList(tokens);
    this.ids = new HashMap<>(tokens.size() * 2);
    for (int id = 0; id < tokens.size(); id++) {
      ids.put(tokens.get(id), id);
    }
  }

  /** Reads a vocab.txt stream (UTF-8, one token per line); {@code source} names it in error messages. */
  public static Vocabulary read(InputStream in, String source) throws IOException {
    var decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    List<String> tokens = new ArrayList<>();
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, decoder))) {
      String line;
      while ((line = reader.readLine()) != null) {
        tokens.add(line);
      }
    } catch (CharacterCodingException e) {
      throw new IOException("vocabulary " + source + " is not UTF-8 text (after line " + tokens.size()
          + "); give the model's own vocab.txt", e);
    }
    if (tokens.isEmpty()) {
      throw new IOException("vocabulary " + source + " is empty; give the model's own vocab.txt");
    }
    return new Vocabulary(tokens);
  }

  /** A vocabulary from tokens in id order (for tests and tools). */
  public static Vocabulary of(List<String> tokens) {
    if (tokens.isEmpty()) {
      throw new VbLoraException("a vocabulary needs at least one token");
    }
    return new Vocabulary(new ArrayList<>(tokens));
  }

  public int size() {
    return tokens.size();
  }

  public boolean contains(String token) {
    return ids.containsKey(token);
  }

  public OptionalInt idOf(String token) {
    Integer id = ids.get(token);
    return id == null ? OptionalInt.empty() : OptionalInt.of(id);
  }

  public String tokenOf(int id) {
    if (id < 0 || id >= tokens.size()) {
      throw new VbLoraException("token id " + id + " is outside the vocabulary (0.."
          + (tokens.size() - 1) + ")");
    }
    return tokens.get(id);
  }

  /** Tokens in id order. */
  public List<String> tokens() {
    return tokens;
  }
}

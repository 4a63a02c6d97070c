package dev.finetune.vblora.data.tokenizer;

/**
 * Whether a model's tokenizer lower-cases (and strips accents), and where that was read.
 *
 * @param lowerCase true for uncased models
 * @param source where the setting came from, for messages, e.g. "assets/model.json doLowerCase" or "given"
 */
public record LowerCaseSetting(boolean lowerCase, String source) {
  /** A setting the user gave. */
  public static LowerCaseSetting given(boolean lowerCase) {
    return new LowerCaseSetting(lowerCase, "given");
  }
}

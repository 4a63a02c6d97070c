package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.training.TrainConfig;
import java.math.BigDecimal;
import java.nio.file.Path;

/**
 * The defaults help shows for train's settings, read from the one source of defaults, {@link TrainConfig#builder()}
 * (never typed again here): a config built with nothing but the settings that have no default.
 */
final class TrainDefaults {
  /** The settings without a default are placeholders that only let the builder build. */
  static final TrainConfig CONFIG = TrainConfig.builder().model("model").train(Path.of("train.tsv"))
      .out(Path.of("out")).build();

  private TrainDefaults() {}

  /**
   * 16.0 as "16", 0.0 as "0" and 0.001 as "0.001", as docs/cli.md writes them; a long stays exact (from its own
   * digits, not through a double).
   */
  static String plain(Number value) {
    return new BigDecimal(value.toString()).stripTrailingZeros().toPlainString();
  }
}

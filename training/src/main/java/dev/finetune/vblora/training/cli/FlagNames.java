package dev.finetune.vblora.training.cli;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One name per setting across Java, JSON and the CLI, spelled three ways: {@code textColumn} (API),
 * {@code text_column} (config.json) and {@code --text-column} (option). The conversions are mechanical, so a
 * library message that names a setting in API terms reads with option names on the command line.
 */
final class FlagNames {
  private static final Pattern HUMP = Pattern.compile("([a-z0-9])([A-Z])");

  private FlagNames() {}

  /** textColumn -> --text-column. */
  static String flag(String apiName) {
    return "--" + HUMP.matcher(apiName).replaceAll("$1-$2").toLowerCase(Locale.ROOT);
  }

  /** text-column -> text_column: the key of config.json. */
  static String jsonKey(String optionName) {
    return optionName.replace('-', '_');
  }

  /** The message with each of {@code settings} (API names), where it stands as a whole word, as its flag. */
  static String translate(String message, List<String> settings) {
    String out = message;
    for (String setting : settings) {
      out = Pattern.compile("(?<![\\w-])" + Pattern.quote(setting) + "(?![\\w-])").matcher(out)
          .replaceAll(Matcher.quoteReplacement(flag(setting)));
    }
    return out;
  }
}

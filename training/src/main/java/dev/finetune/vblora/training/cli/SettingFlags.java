package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Library messages name settings by their API name ({@code lrBank}, or PEFT's {@code vector_length}); the
 * command line calls them {@code --lr-bank} and {@code --vector-length}, and config.json {@code lr_bank}. One name
 * per setting makes the translation mechanical: every whole-word occurrence of a setting the error lists becomes
 * its option.
 */
final class SettingFlags {
  private SettingFlags() {}

  /** {@code e}'s message with the settings it lists written as command-line options. */
  static String translate(VbLoraException e) {
    String message = e.ownMessage();
    for (String setting : e.settings()) {
      if (setting.startsWith("-")) {
        continue; // named as an option already (a caller that passes option names, e.g. OutputOverlap's)
      }
      String flag = Matcher.quoteReplacement(flag(setting));
      message = wholeWord(setting).matcher(message).replaceAll(flag);
      String snake = kebab(setting).replace('-', '_');
      if (!snake.equals(setting)) {
        message = wholeWord(snake).matcher(message).replaceAll(flag);
      }
    }
    return message + e.quoted();
  }

  /** {@code lrBank} -> {@code --lr-bank}. */
  static String flag(String setting) {
    return "--" + kebab(setting);
  }

  /** {@code text-column} -> {@code text_column}: an option's key in config.json. */
  static String jsonKey(String optionName) {
    return optionName.replace('-', '_');
  }

  private static String kebab(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
  }

  /**
   * Not inside a longer word, option or path ({@code validFraction} keeps {@code valid}; {@code --out} and
   * {@code run/train.tsv} stay); a sentence's closing period may follow.
   */
  private static Pattern wholeWord(String word) {
    return Pattern.compile("(?<![\\w./-])" + Pattern.quote(word) + "(?![\\w/-]|\\.\\w)");
  }
}

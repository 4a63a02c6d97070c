package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code vblora train --config RUN/config.json [options]}: a run's saved settings as the defaults of a new command
 * line. config.json's keys are the option names in snake case ({@code lr_bank} is {@code --lr-bank}), so the
 * mapping is mechanical; options given on the command line win.
 */
final class RunConfigDefaults {
  /**
   * Not carried over: how the run was started rather than what it computes. A re-run that should continue or
   * replace the run says --resume or --overwrite itself.
   */
  private static final Set<String> NOT_SETTINGS = Set.of("tool_version", "resume", "overwrite");
  /** Keys where 0 means "not set" (an option given as 0 is refused). */
  private static final Set<String> ZERO_IS_UNSET = Set.of("max_steps", "eval_every");

  private RunConfigDefaults() {}

  /** The options config.json holds, by option name, as the command line would give them. */
  static Map<String, List<String>> read(Path file) {
    Map<String, Object> json;
    try {
      json = Json.parseObject(Files.readString(file));
    } catch (IOException | IllegalArgumentException e) {
      throw new UserError("cannot read --config " + file + ": " + (e instanceof NoSuchFileException
          ? "the file does not exist" : e.getMessage()) + "; pass the config.json of a run that vblora train wrote");
    }
    Map<String, List<String>> options = new LinkedHashMap<>();
    json.forEach((key, value) -> {
      if (value == null || NOT_SETTINGS.contains(key) || (ZERO_IS_UNSET.contains(key) && isZero(value))) {
        return;
      }
      String option = key.replace('_', '-');
      if (value instanceof Map<?, ?> map) {
        // input: {"ids": "input_13"} is --input ids=input_13
        options.put(option, map.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
      } else {
        options.put(option, List.of(text(value)));
      }
    });
    return options;
  }

  private static boolean isZero(Object value) {
    return value instanceof Number n && n.doubleValue() == 0;
  }

  /** 3.0 as "3" (integer options), 0.001 as "0.001". */
  private static String text(Object value) {
    return value instanceof Number n ? TrainDefaults.plain(n) : String.valueOf(value);
  }
}

package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.io.OutputLocation;
import dev.finetune.vblora.data.io.OutputOverlap;
import dev.finetune.vblora.training.PredictionTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code eval --predictions-out FILE [--overwrite]}: where eval may write its prediction table, checked before
 * any model is loaded (not an input, a folder that can be written). An existing file is replaced only with
 * --overwrite and only when it is a prediction table vblora wrote, as train and merge replace only output folders
 * they made: the predictions once replaced a training file given there by mistake.
 */
final class PredictionsOut {
  static final String OPTION = "--predictions-out";

  private PredictionsOut() {}

  /**
   * @param inputs every input of the command by its option name; the file must be none of them
   * @throws UserError naming the file and what to do
   */
  static void check(Path file, Map<String, Path> inputs, boolean overwrite) {
    OutputOverlap.check(OPTION, file, inputs, false);
    if (Files.isDirectory(file)) {
      throw new UserError(OPTION + " " + file + " is a folder; give the path of a file");
    }
    OutputLocation.requireWritable(OPTION, file);
    if (!Files.exists(file)) {
      return;
    }
    if (!PredictionTable.isPredictionTable(file)) {
      // Never replaced, --overwrite or not: the tool replaces only what it made.
      throw new UserError(OPTION + " " + file + " exists and is not a prediction table vblora wrote, so it is not"
          + " replaced; choose another file");
    }
    if (!overwrite) {
      throw new UserError(OPTION + " " + file + " exists; set --overwrite to replace it, or choose another file");
    }
  }
}

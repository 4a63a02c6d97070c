package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.ColumnMapping;
import dev.finetune.vblora.data.HeaderMode;
import dev.finetune.vblora.data.ReadOptions;
import dev.finetune.vblora.data.Task;
import java.util.List;

/** {@code --text-column C [--text-pair-column C] --label-column C [--no-header]}: how to read data files. */
final class DataOptions {
  static final String COLUMNS = "Columns";

  private DataOptions() {}

  static List<OptionSpec> columnSpecs() {
    return List.of(
        OptionSpec.optional("text-column", "C", "header name or 0-based index of the text",
            TrainDefaults.CONFIG.textColumn()).in(COLUMNS),
        OptionSpec.optional("text-pair-column", "C", "the second text of sentence-pair tasks", null).in(COLUMNS),
        OptionSpec.optional("label-column", "C", "header name or 0-based index of the label",
            TrainDefaults.CONFIG.labelColumn()).in(COLUMNS),
        OptionSpec.flag("no-header", "--no-header: the files have no header row (map columns by index); default:"
            + " a header row is detected", null).in(COLUMNS));
  }

  static ColumnMapping columns(ParsedArgs args) {
    return ColumnMapping.of(args.stringOrDefault("text-column"), args.string("text-pair-column").orElse(null),
        args.stringOrDefault("label-column"));
  }

  static ReadOptions readOptions(ParsedArgs args, Task task) {
    return ReadOptions.of(columns(args), task)
        .withHeader(args.flag("no-header") ? HeaderMode.ABSENT : HeaderMode.DETECT);
  }
}

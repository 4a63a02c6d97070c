package dev.finetune.vblora.data;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a dataset as TSV with a header row ({@code sentence[\tsentence_pair]\tlabel}), class names as labels,
 * so that it reads back with {@link DatasetReader} under the default column names. Used to keep a held-out
 * validation split on disk, so that the same examples can be scored again later (e.g. by {@code vblora eval}).
 */
public final class DatasetTsvWriter {
  public static final String TEXT = "sentence";
  public static final String TEXT_PAIR = "sentence_pair";
  public static final String LABEL = "label";

  private DatasetTsvWriter() {}

  public static void write(Dataset dataset, Path file) throws IOException {
    boolean pairs = dataset.examples().stream().anyMatch(e -> e.textPair() != null);
    try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      out.write(pairs ? TEXT + "\t" + TEXT_PAIR + "\t" + LABEL + "\n" : TEXT + "\t" + LABEL + "\n");
      for (Example e : dataset.examples()) {
        out.write(cell(e.text()));
        if (pairs) {
          out.write("\t" + cell(e.textPair() == null ? "" : e.textPair()));
        }
        out.write("\t" + label(dataset, e) + "\n");
      }
    }
  }

  private static String label(Dataset dataset, Example e) {
    return dataset.task() == Task.CLASSIFICATION
        ? dataset.labels().name(e.classId()) : Float.toString(e.label());
  }

  /** TSV has no quoting: tabs and line breaks inside a text become spaces (the tokenizer treats them alike). */
  private static String cell(String text) {
    return text.replace('\t', ' ').replace('\r', ' ').replace('\n', ' ');
  }
}

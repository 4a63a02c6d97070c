package dev.finetune.vblora.data.demo;

import dev.finetune.vblora.data.ColumnMapping;
import dev.finetune.vblora.data.ReadOptions;
import dev.finetune.vblora.data.Task;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A small built-in binary sentiment set for demos and smoke tests: short English reviews of films,
 * restaurants, gadgets, hotels, books and more, written for this project (not taken from any public
 * dataset). 320 training and 80 validation sentences, half positive (label 1) and half negative (label 0),
 * no sentence in both; TSV with the header {@code sentence\tlabel}.
 */
public final class DemoDataset {
  public static final String TRAIN_FILE = "train.tsv";
  public static final String VALID_FILE = "valid.tsv";

  private DemoDataset() {}

  /** The training part as a stream (the caller closes it). */
  public static InputStream openTrain() {
    return open(TRAIN_FILE);
  }

  /** The validation part as a stream (the caller closes it). */
  public static InputStream openValid() {
    return open(VALID_FILE);
  }

  /**
   * Writes train.tsv and valid.tsv into {@code folder} (created if needed, existing copies replaced), for
   * code and commands that read data files.
   *
   * @return {@code folder}
   */
  public static Path copyTo(Path folder) throws IOException {
    Files.createDirectories(folder);
    for (String name : new String[] {TRAIN_FILE, VALID_FILE}) {
      try (InputStream in = open(name)) {
        Files.copy(in, folder.resolve(name), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    return folder;
  }

  /** Column "sentence" holds the text, column "label" the class (0 negative, 1 positive). */
  public static ColumnMapping columns() {
    return ColumnMapping.of("sentence", "label");
  }

  /** How to read either file: those columns, classification. */
  public static ReadOptions readOptions() {
    return ReadOptions.of(columns(), Task.CLASSIFICATION);
  }

  private static InputStream open(String name) {
    InputStream in = DemoDataset.class.getResourceAsStream(name);
    if (in == null) {
      throw new UncheckedIOException(new IOException("the demo data " + name + " is missing from the"
          + " vblora-data jar (resource dev/finetune/vblora/data/demo/" + name + "); rebuild the data module"));
    }
    return in;
  }
}

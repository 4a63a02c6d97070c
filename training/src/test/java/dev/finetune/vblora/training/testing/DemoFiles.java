package dev.finetune.vblora.training.testing;

import dev.finetune.vblora.data.demo.DemoDataset;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Small TSV files cut from the built-in demo set (header sentence, label), for short real training runs. */
public final class DemoFiles {
  private DemoFiles() {}

  /** The header and the first {@code examples} lines of the demo's training part. */
  public static Path train(Path dir, int examples) throws IOException {
    return write(dir.resolve("train.tsv"), DemoDataset.openTrain(), examples);
  }

  /** The header and the first {@code examples} lines of the demo's validation part. */
  public static Path valid(Path dir, int examples) throws IOException {
    return write(dir.resolve("valid.tsv"), DemoDataset.openValid(), examples);
  }

  private static Path write(Path file, InputStream in, int examples) throws IOException {
    List<String> lines;
    try (in) {
      lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }
    Files.createDirectories(file.getParent());
    Files.write(file, new ArrayList<>(lines.subList(0, examples + 1)));
    return file;
  }
}

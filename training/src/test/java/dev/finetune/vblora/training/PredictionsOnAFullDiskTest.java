package dev.finetune.vblora.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code eval --predictions-out} on a full disk: the write fails part-way. It used to leave a truncated file and
 * an error that named no file. The disk is made "full" for a child JVM with a file size limit (ulimit -f), which
 * fails writes past it the way a full disk does (EFBIG instead of ENOSPC; the JVM ignores SIGXFSZ).
 */
class PredictionsOnAFullDiskTest {
  private static final int LIMIT_KB = 8;

  @TempDir
  Path dir;

  /** The child: copies the prediction table args[0] to args[1] and prints the error's message, if any. */
  public static void main(String[] args) {
    try {
      PredictionTable.read(Path.of(args[0])).write(Path.of(args[1]));
    } catch (IOException e) {
      System.err.println(e.getMessage());
      System.exit(1);
    }
  }

  @Test
  void aFullDiskLeavesThePreviousFileAndTheErrorNamesTheFile() throws Exception {
    StringBuilder table = new StringBuilder("example\tnegative\tpositive\n");
    for (int i = 0; table.length() < 4 * LIMIT_KB * 1024; i++) {
      table.append(i).append("\t0.25\t0.75\n");
    }
    Path source = Files.writeString(dir.resolve("source.tsv"), table);
    Path out = Files.writeString(dir.resolve("predictions.tsv"), "example\tprediction\n0\t1.5\n");
    byte[] before = Files.readAllBytes(out);

    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process child = new ProcessBuilder("bash", "-c", "ulimit -f " + LIMIT_KB + " && exec \"$@\"", "bash",
        java.toString(), "-XX:-UsePerfData", "-cp", System.getProperty("java.class.path"),
        PredictionsOnAFullDiskTest.class.getName(), source.toString(), out.toString())
        .redirectErrorStream(true).start();
    String said = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(1, child.waitFor(), said);

    assertTrue(said.contains("could not write the predictions to " + out), said);
    assertTrue(said.contains("free space"), said);
    assertEquals(new String(before, StandardCharsets.UTF_8), Files.readString(out), "the previous file is intact");
    try (var files = Files.list(dir)) {
      assertEquals(List.of("predictions.tsv", "source.tsv"), files.map(p -> p.getFileName().toString()).sorted()
          .toList(), "no temporary file is left behind");
    }
  }
}

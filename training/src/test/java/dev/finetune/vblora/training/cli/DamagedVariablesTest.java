package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.testing.SharedFolder;
import dev.finetune.vblora.training.testing.CliRun;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A SavedModel whose variables file was damaged in place (same size, a few bytes changed, as a bad copy leaves it)
 * passes every check of sizes and index and fails only when TensorFlow restores it. The command line says so as the
 * damaged file it is, with the way out, not as an unexpected error, and writes no output folder.
 */
class DamagedVariablesTest {
  @TempDir
  Path dir;

  @Test
  void aVariablesFileWithBytesThatNoLongerMatchTheirChecksumIsNamedAsDamaged() throws IOException {
    Path model = copyOf(SharedFolder.resolve("fixtures/tf2/keras_dense_mlp"), dir.resolve("mlp"));
    Path data = model.resolve("variables/variables.data-00000-of-00001");
    try (RandomAccessFile file = new RandomAccessFile(data.toFile(), "rw")) {
      long middle = file.length() / 2;
      byte[] bytes = new byte[8];
      file.seek(middle);
      file.readFully(bytes);
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] = (byte) ~bytes[i];
      }
      file.seek(middle);
      file.write(bytes);
    }
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      lines.append("{\"dense_input\": [").append(String.join(", ", Collections.nCopies(72, "0.1")))
          .append("], \"label\": ").append(i * 0.1).append("}\n");
    }
    Path examples = Files.writeString(dir.resolve("examples.jsonl"), lines.toString());
    Path out = dir.resolve("run");

    CliRun run = CliRun.of("train", "--model", model.toString(), "--train", examples.toString(), "--valid",
        examples.toString(), "--targets", "dense(_1|_2)?/kernel", "--vector-length", "8", "--num-vectors", "16",
        "--max-steps", "1", "--out", out.toString());

    assertEquals(1, run.status(), run.toString());
    assertTrue(run.err().contains("a SavedModel's variables are damaged"), run.err());
    assertTrue(run.err().contains(model.resolve("variables/variables").toString()), "names the file: " + run.err());
    assertTrue(run.err().contains("Checksum does not match"), run.err());
    assertTrue(run.err().contains("copy the whole SavedModel folder again"), run.err());
    assertFalse(run.err().contains("unexpected"), run.err());
    assertFalse(Files.exists(out), "no output folder for a run that could not start");
  }

  private static Path copyOf(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path p : paths.toList()) {
        Files.copy(p, to.resolve(from.relativize(p).toString()));
      }
    }
    return to;
  }
}

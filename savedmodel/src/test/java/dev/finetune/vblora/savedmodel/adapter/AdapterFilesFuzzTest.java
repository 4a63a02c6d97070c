package dev.finetune.vblora.savedmodel.adapter;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Any bytes as an adapter's two files: the safetensors reader (header and data) and the adapter_config.json
 * reader return a value or throw the AdapterFormatException that names the file, nothing else (no
 * NegativeArraySizeException, no OutOfMemoryError, no StackOverflowError, no ClassCastException).
 *
 * <p>The default build replays the inputs in AdapterFilesFuzzTestInputs/METHOD/ (test resources: the seeds and
 * every finding); {@code -Pfuzz} fuzzes one method at a time (see the parent pom).
 */
class AdapterFilesFuzzTest {
  @FuzzTest(maxDuration = "3m")
  void anySafetensorsFileIsReadOrRefusedWithAFormatError(byte[] input) throws IOException {
    Path file = Files.createTempFile("vblora-fuzz", ".safetensors");
    try {
      Files.write(file, input);
      SafetensorsReader.read(file);
    } catch (AdapterFormatException e) {
      // the answer to a bad file
    } finally {
      Files.delete(file);
    }
  }

  @FuzzTest(maxDuration = "3m")
  void anyAdapterConfigIsReadOrRefusedWithAFormatError(byte[] input) throws IOException {
    Path file = Files.createTempFile("vblora-fuzz", ".json");
    try {
      Files.write(file, input);
      AdapterConfig.read(file);
    } catch (AdapterFormatException e) {
      // the answer to a bad file
    } finally {
      Files.delete(file);
    }
  }
}

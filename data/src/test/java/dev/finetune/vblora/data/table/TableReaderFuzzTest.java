package dev.finetune.vblora.data.table;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.finetune.vblora.data.DataFileException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Any bytes as a TSV, CSV or JSONL data file: the reader returns rows or throws the DataFileException that names
 * the file and line, nothing else (no StringIndexOutOfBounds, no OutOfMemoryError, no StackOverflowError).
 *
 * <p>The default build replays the inputs in TableReaderFuzzTestInputs/ (test resources: the seeds and every
 * finding); {@code -Pfuzz} fuzzes (see the parent pom). An input's first byte picks the format: 'c' CSV, 'j'
 * JSONL, anything else TSV; the rest is the file.
 */
class TableReaderFuzzTest {
  @FuzzTest(maxDuration = "3m")
  void anyFileIsReadOrRefusedWithADataFileError(byte[] input) throws IOException {
    TableFormat format = input.length == 0 ? TableFormat.TSV : switch (input[0]) {
      case 'c' -> TableFormat.CSV;
      case 'j' -> TableFormat.JSONL;
      default -> TableFormat.TSV;
    };
    Path file = Files.createTempFile("vblora-fuzz", "." + format.name().toLowerCase(java.util.Locale.ROOT));
    try {
      Files.write(file, input.length == 0 ? input : Arrays.copyOfRange(input, 1, input.length));
      TableReader.read(file, format);
    } catch (DataFileException e) {
      // the answer to a bad file
    } finally {
      Files.delete(file);
    }
  }
}

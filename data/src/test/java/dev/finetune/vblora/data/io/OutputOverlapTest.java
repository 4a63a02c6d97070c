package dev.finetune.vblora.data.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputOverlapTest {
  @TempDir
  Path dir;

  private IllegalArgumentException refused(Path out, Map<String, Path> inputs, boolean replacing) {
    return assertThrows(IllegalArgumentException.class, () -> OutputOverlap.check("--out", out, inputs, replacing));
  }

  @Test
  void anOutputThatIsAnInputIsRefusedNamingBoth() throws IOException {
    Path model = Files.createDirectories(dir.resolve("model"));
    assertEquals("--out " + model + " is the input --model; an output must not be written over an input: choose"
        + " another --out", refused(model, Map.of("--model", model), false).getMessage());
  }

  @Test
  void anOutputInsideAnInputFolderIsRefused() throws IOException {
    Path model = Files.createDirectories(dir.resolve("model"));
    Path out = model.resolve("merged");
    assertEquals("--out " + out + " lies inside the input --model " + model + ", and writing there would change"
        + " that input: choose --out outside it", refused(out, Map.of("--model", model), false).getMessage());
  }

  @Test
  void anOutputThatHoldsAnInputIsRefusedOnlyWhenItIsReplaced() throws IOException {
    Path run = Files.createDirectories(dir.resolve("run"));
    Path train = Files.writeString(run.resolve("train.tsv"), "sentence\tlabel\n");
    OutputOverlap.check("--out", run, Map.of("--train", train), false); // a resume reads it in place: fine
    assertEquals("--out " + run + " contains the input --train " + train + ", which replacing " + run + " would"
        + " delete: move the input elsewhere or choose another --out",
        refused(run, Map.of("--train", train), true).getMessage());
  }

  @Test
  void twoSpellingsOfOneFolderAreOneFolder() throws IOException {
    Path model = Files.createDirectories(dir.resolve("model"));
    refused(dir.resolve("other/../model/./"), Map.of("--model", model), false);
    Path link = dir.resolve("link");
    try {
      Files.createSymbolicLink(link, model);
    } catch (UnsupportedOperationException | IOException e) {
      assumeTrue(false, "symbolic links: " + e);
    }
    refused(link.resolve("merged"), Map.of("--model", model), false);
  }

  @Test
  void separateFoldersAndAbsentInputsPass() throws IOException {
    Map<String, Path> inputs = new LinkedHashMap<>();
    inputs.put("--model", Files.createDirectories(dir.resolve("model")));
    inputs.put("--valid", null);
    inputs.put("--train", dir.resolve("model-data.tsv"));
    OutputOverlap.check("--out", dir.resolve("model-out"), inputs, true); // a common prefix is not containment
  }
}

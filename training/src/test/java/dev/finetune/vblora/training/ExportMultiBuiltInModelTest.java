package dev.finetune.vblora.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.finetune.vblora.savedmodel.adapter.AdapterFolder;
import dev.finetune.vblora.savedmodel.export.MultiAdapterModel;
import dev.finetune.vblora.training.testing.Bert;
import dev.finetune.vblora.training.testing.RandomVbLoraAdapter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link VbLora#exportMulti} takes a built-in model by name, as {@link VbLora#merge} and the command line do. */
class ExportMultiBuiltInModelTest {
  @Test
  void aBuiltInNameIsTheBaseModel(@TempDir Path dir) throws Exception {
    Path bert = Bert.folder();
    Path adapter = dir.resolve("adapter");
    AdapterFolder.write(RandomVbLoraAdapter.of("bert.encoder.layer.0.attention.self.query", 3, 3, new Random(2),
        null), adapter, false);
    Path out = dir.resolve("multi");
    List<String> names = VbLora.exportMulti(MultiAdapterModel.Request.builder(Path.of("bert-base-uncased"), out)
        .adapter("one", adapter).build());
    assertEquals(List.of("one"), names);
    assertArrayEquals(Files.readAllBytes(bert.resolve("variables/variables.index")),
        Files.readAllBytes(out.resolve("variables/variables.index")), "the built-in model's checkpoint");
  }
}

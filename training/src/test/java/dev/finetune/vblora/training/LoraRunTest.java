package dev.finetune.vblora.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.savedmodel.adapter.AdapterFolder;
import dev.finetune.vblora.savedmodel.adapter.LoraAdapter;
import dev.finetune.vblora.savedmodel.adapter.PeftAdapter;
import dev.finetune.vblora.training.checkpoint.Checkpoint;
import dev.finetune.vblora.training.checkpoint.CheckpointStore;
import dev.finetune.vblora.training.testing.CliRun;
import dev.finetune.vblora.training.testing.DemoFiles;
import dev.finetune.vblora.training.variables.HostTensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The LoRA baseline: {@code --method lora} trains factors and writes a PEFT LoRA adapter. */
class LoraRunTest {
  @TempDir
  static Path dir;

  @Test
  void theBaselineWritesAPeftLoraAdapterWhoseDeltaIsTheTrainedFactorsProduct() throws Exception {
    Path train = DemoFiles.train(dir.resolve("data"), 8);
    Path valid = DemoFiles.valid(dir.resolve("data"), 4);
    Path out = dir.resolve("lora");
    CliRun run = CliRun.of("train", "--model", "bert-base-uncased", "--method", "lora", "--rank", "2",
        "--lora-alpha", "8", "--train", train.toString(), "--valid", valid.toString(), "--max-length", "16",
        "--batch-size", "4", "--max-steps", "2", "--warmup-ratio", "0", "--lr-lora", "1e-2", "--out", out.toString());
    assertEquals(0, run.status(), run.toString());

    PeftAdapter adapter = AdapterFolder.read(out.resolve("adapter"));
    assertTrue(adapter instanceof LoraAdapter, adapter.getClass().getName());
    assertEquals("LORA", Json.getString(Json.parseObject(Files.readString(out.resolve("adapter/adapter_config.json"))),
        "peft_type"));
    assertEquals(24, adapter.modulePaths().size());
    String module = "bert.encoder.layer.3.attention.self.value";
    assertTrue(adapter.modulePaths().contains(module), adapter.modulePaths().toString());

    // Plain-Java reference from the best checkpoint: delta = (alpha / r) * down [in, r] @ up [r, out].
    long bestStep = Json.getLong(Json.getObject(Json.parseObject(Files.readString(out.resolve("metrics.json"))),
        "best"), "step");
    Checkpoint best = CheckpointStore.load(out.resolve("checkpoints/step-" + bestStep));
    Map<String, HostTensor> tensors = best.tensors();
    String scope = "lora/module/bert/encoder/layer_3/attention/self/value/";
    float[] down = tensors.get(scope + "down").toFloats();
    float[] up = tensors.get(scope + "up").toFloats();
    float[][] delta = adapter.deltaWeights(module).tfKernel();
    double scaling = 8.0 / 2;
    double worst = 0;
    double largest = 0;
    for (int i = 0; i < 768; i++) {
      for (int o = 0; o < 768; o++) {
        double expected = scaling * (down[i * 2] * up[o] + down[i * 2 + 1] * up[768 + o]);
        worst = Math.max(worst, Math.abs(expected - delta[i][o]));
        largest = Math.max(largest, Math.abs(expected));
      }
    }
    assertTrue(largest > 0, "two steps at lr 1e-2 must move the zero-initialized up factor");
    assertTrue(worst < 1e-6, "max abs difference " + worst);
    assertTrue(Files.isRegularFile(out.resolve("merged/saved_model.pb")));
  }
}

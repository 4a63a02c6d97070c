package dev.finetune.vblora.training.testing;

import dev.finetune.vblora.model.AdapterVariable;
import dev.finetune.vblora.model.PackedLogitsLayout;
import dev.finetune.vblora.model.VbLoraConfig;
import dev.finetune.vblora.ops.LayerShape;
import dev.finetune.vblora.data.io.OutputMarker;
import dev.finetune.vblora.training.TrainConfig;
import dev.finetune.vblora.training.checkpoint.CheckpointRef;
import dev.finetune.vblora.training.checkpoint.CheckpointStore;
import dev.finetune.vblora.training.checkpoint.TrainingState;
import dev.finetune.vblora.training.export.AdapterManifest;
import dev.finetune.vblora.training.head.TaskHead;
import dev.finetune.vblora.training.variables.HostTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Folders that commands meet at their --out: a previous run, a user's own folder, a small checkpoint. */
public final class OutputFolders {
  private OutputFolders() {}

  /**
   * A previous run as vblora marks it, with the files a finished run has (their contents stand in for the real
   * ones: what matters is that not one byte of them changes).
   */
  public static Path markedRun(Path out) throws IOException {
    Files.createDirectories(out);
    OutputMarker.write(out, OutputMarker.Kind.RUN);
    unmarkedRun(out);
    return out;
  }

  /** A run of a vblora that did not mark its folders: config.json, log.jsonl, checkpoints/, exports. */
  public static Path unmarkedRun(Path out) throws IOException {
    write(out.resolve("config.json"), "{\"model\": \"bert-base-uncased\"}\n");
    write(out.resolve("log.jsonl"), "{\"step\": 1, \"loss\": 0.69}\n");
    write(out.resolve("checkpoints/step-2/state.json"), "{\"step\": 2}\n");
    write(out.resolve("checkpoints/step-2/tensors.bin"), "weights of step 2");
    write(out.resolve("adapter/adapter_config.json"), "{\"peft_type\": \"VBLORA\"}\n");
    write(out.resolve("adapter/adapter_model.safetensors"), "adapter weights");
    write(out.resolve("merged/saved_model.pb"), "merged graph");
    write(out.resolve("metrics.json"), "{\"best\": {\"accuracy\": 0.9}}\n");
    return out;
  }

  /** A Hugging Face model folder, which a user may well point --out at by mistake. */
  public static Path huggingFaceModel(Path folder) throws IOException {
    write(folder.resolve("config.json"), "{\"architectures\": [\"BertForSequenceClassification\"]}\n");
    write(folder.resolve("model.safetensors"), "the user's fine-tuned weights");
    write(folder.resolve("tokenizer.json"), "{\"version\": \"1.0\"}\n");
    return folder;
  }

  /**
   * A real checkpoint of a small VB-LoRA run on BERT's layer-0 query kernel (a [4, 2] stand-in; h=3, b=2, r=2)
   * with a two-class head, in {@code run}/checkpoints/step-{@code step}: enough for export-adapter, and for a
   * resume to compare its settings.
   */
  public static CheckpointRef smallCheckpoint(Path run, long step) throws IOException {
    String query = "bert/encoder/layer_0/attention/self/query/kernel";
    TrainConfig config = TrainConfig.builder().model("bert-base-uncased").train(Path.of("t.tsv"))
        .textColumn("sentence").labelColumn("label").out(run)
        .vbLora(VbLoraConfig.builder().numVectors(3).vectorLength(2).rank(2).topk(2).saveOnlyTopkWeights(false)
            .seed(42).build()).rank(2).build();
    List<AdapterVariable> variables = List.of(
        new AdapterVariable("vblora/vector_bank", AdapterVariable.BANK, "", List.of(3L, 2L), "", ""),
        new AdapterVariable("vblora/logits_A", AdapterVariable.LOGITS, "", List.of(2L, 2L, 3L), "", ""),
        new AdapterVariable("vblora/logits_B", AdapterVariable.LOGITS, "", List.of(1L, 2L, 3L), "", ""));
    AdapterManifest manifest = new AdapterManifest(config, List.of("neg", "pos"), variables,
        Optional.of(PackedLogitsLayout.of("vblora/logits_A", "vblora/logits_B",
            List.of(new LayerShape(query, 4, 2)), 2)));
    Map<String, HostTensor> tensors = new LinkedHashMap<>();
    tensors.put("vblora/vector_bank", HostTensor.ofFloats(new long[] {3, 2}, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f));
    tensors.put("vblora/logits_A", HostTensor.ofFloats(new long[] {2, 2, 3}, new float[12]));
    tensors.put("vblora/logits_B", HostTensor.ofFloats(new long[] {1, 2, 3}, new float[6]));
    tensors.put(TaskHead.SCOPE + "/kernel", HostTensor.ofFloats(new long[] {3, 2}, new float[6]));
    tensors.put(TaskHead.SCOPE + "/bias", HostTensor.ofFloats(new long[] {2}, 0, 0));
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("manifest", manifest.toJson());
    return CheckpointStore.open(run, 1, null).save(tensors,
        new TrainingState(step, 0, step, 42, "", Map.of("accuracy", 0.5), state));
  }

  private static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
  }
}

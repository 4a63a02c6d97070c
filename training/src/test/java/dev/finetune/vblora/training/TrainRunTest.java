package dev.finetune.vblora.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.batch.Batch;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.model.AdapterVariable;
import dev.finetune.vblora.model.LogitsSlice;
import dev.finetune.vblora.model.PackedLogitsLayout;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.adapter.AdapterFolder;
import dev.finetune.vblora.savedmodel.adapter.AdapterHead;
import dev.finetune.vblora.savedmodel.adapter.SafetensorsFile;
import dev.finetune.vblora.savedmodel.adapter.SafetensorsReader;
import dev.finetune.vblora.savedmodel.adapter.SafetensorsWriter;
import dev.finetune.vblora.savedmodel.adapter.StoredTensor;
import dev.finetune.vblora.training.checkpoint.Checkpoint;
import dev.finetune.vblora.training.checkpoint.CheckpointStore;
import dev.finetune.vblora.training.checkpoint.TrainingState;
import dev.finetune.vblora.training.export.AdapterManifest;
import dev.finetune.vblora.training.testing.Bert;
import dev.finetune.vblora.training.testing.CliRun;
import dev.finetune.vblora.training.testing.FourStepRun;
import dev.finetune.vblora.training.testing.FolderChecksum;
import dev.finetune.vblora.training.testing.ServingProbe;
import dev.finetune.vblora.training.variables.HostTensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Session;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;

/**
 * Short real runs of {@code vblora train} on BERT-base (4 steps of 4 sentences, 16 tokens) and what they leave:
 * resumable checkpoints, a merged SavedModel that serves the adapted model's probabilities in a fresh JVM, and
 * an adapter that {@code vblora merge} turns into the same model.
 */
class TrainRunTest {
  private static final int STEPS = FourStepRun.STEPS;
  private static FourStepRun run;
  @TempDir
  static Path dir;

  @BeforeAll
  static void trainStraight() throws Exception {
    run = FourStepRun.trainIn(dir);
  }

  @Test
  void aRunInterruptedAfterItsCheckpointResumesToTheSameLossesAndWeights() throws Exception {
    Path crashed = dir.resolve("crashed");
    run.crashAt(crashed, 3);
    assertTrue(Files.isDirectory(crashed.resolve("checkpoints/step-2")));

    CliRun resumed = CliRun.of(run.args(crashed, "--resume"));
    assertEquals(0, resumed.status(), resumed.toString());
    assertTrue(resumed.err().contains("resuming at step 2"), resumed.err());

    Map<Long, Double> straightLosses = losses(run.straight());
    Map<Long, Double> resumedLosses = losses(crashed);
    assertEquals(straightLosses.keySet(), resumedLosses.keySet());
    straightLosses.forEach((step, loss) -> assertEquals(loss, resumedLosses.get(step), 1e-6, "loss of step " + step));
    Checkpoint a = CheckpointStore.load(run.straight().resolve("checkpoints/step-" + STEPS));
    Checkpoint b = CheckpointStore.load(crashed.resolve("checkpoints/step-" + STEPS));
    assertEquals(a.tensors().keySet(), b.tensors().keySet());
    for (String name : a.tensors().keySet()) {
      HostTensor x = a.tensors().get(name);
      HostTensor y = b.tensors().get(name);
      if (x.type().isFloating()) {
        assertArrayEquals(x.toDoubles(), y.toDoubles(), 1e-6, name);
      } else {
        assertEquals(x, y, name);
      }
    }
  }

  /**
   * A checkpoint of the layout before packed logits (one logits_A and logits_B variable per kernel, each with its
   * AdamW slots) is refused by name, with the way out, instead of failing on missing tensors.
   */
  @Test
  void aCheckpointWithPerKernelLogitsIsRefusedWithAFreshRunAsTheWayOut() throws Exception {
    Path old = dir.resolve("old-layout");
    Checkpoint packed = CheckpointStore.load(run.straight().resolve("checkpoints/step-" + STEPS));
    Map<String, Object> manifest = Json.getObject(packed.state().config(), "manifest");
    AdapterManifest parsed = AdapterManifest.fromJson(manifest);
    PackedLogitsLayout layout = parsed.logitsLayout().orElseThrow();
    Map<String, HostTensor> tensors = new TreeMap<>(packed.tensors());
    List<Object> variables = new ArrayList<>();
    for (Object v : Json.getArray(manifest, "adapter_variables")) {
      if (!Json.getString(Json.asObject(v, "variable"), "group").equals(AdapterVariable.LOGITS)) {
        variables.add(v);
      }
    }
    for (String kernel : layout.kernels()) {
      String module = kernel.substring(0, kernel.lastIndexOf('/'));
      for (LogitsSlice slice : List.of(layout.a(kernel), layout.b(kernel))) {
        String perKernel = "vblora/" + module + slice.variable().substring(slice.variable().lastIndexOf('/'));
        for (String prefix : List.of("", "optimizer/m/", "optimizer/v/")) {
          HostTensor whole = packed.tensors().get(prefix + slice.variable());
          tensors.put(prefix + perKernel, HostTensor.ofFloats(slice.shape(whole.shape()),
              slice.cut(whole.toFloats(), whole.shape())));
        }
        variables.add(Map.of("name", perKernel, "group", AdapterVariable.LOGITS, "kernel", kernel,
            "shape", java.util.Arrays.stream(slice.shape(packed.tensors().get(slice.variable()).shape())).boxed()
                .toList()));
      }
    }
    for (String variable : List.of(layout.variableA(), layout.variableB())) {
      for (String prefix : List.of("", "optimizer/m/", "optimizer/v/")) {
        assertTrue(tensors.remove(prefix + variable) != null, prefix + variable);
      }
    }
    Map<String, Object> oldManifest = new java.util.LinkedHashMap<>(manifest);
    oldManifest.remove("logits_layout");
    oldManifest.put("adapter_variables", variables);
    TrainingState state = packed.state();
    CheckpointStore.open(old, 1, null).save(tensors, new TrainingState(state.step(), state.epoch(),
        state.positionInEpoch(), state.seed(), state.rngState(), state.metrics(), Map.of("manifest", oldManifest)));

    CliRun resumed = CliRun.of(run.args(old, "--resume"));
    assertEquals(1, resumed.status(), resumed.toString());
    String message = resumed.err();
    assertTrue(message.contains(old.resolve("checkpoints/step-" + STEPS).toString()), message);
    assertTrue(message.contains("one logits_A and one logits_B variable per kernel"), message);
    assertTrue(message.contains("start a fresh run"), message);
  }

  /** Step to loss, from the log's step lines. */
  private static Map<Long, Double> losses(Path run) throws Exception {
    Map<Long, Double> losses = new TreeMap<>();
    for (String line : Files.readAllLines(run.resolve("log.jsonl"))) {
      Map<String, Object> entry = Json.parseObject(line);
      if (entry.containsKey("loss")) {
        assertTrue(losses.put(Json.getLong(entry, "step"), Json.getDouble(entry, "loss")) == null,
            "step logged twice: " + line);
      }
    }
    return losses;
  }

  @Test
  void aRunLeavesMetricsLogsCurvesAndAnAdapterOfThePapersSize() throws Exception {
    Map<String, Object> metrics = Json.parseObject(Files.readString(run.straight().resolve("metrics.json")));
    Map<String, Object> params = Json.getObject(metrics, "params");
    // The paper's count for BERT-base q,v with h=90, b=256, r=4, k=2: h*b + 3*L*M*r*(d/b).
    assertEquals(90 * 256 + 3 * 12 * 2 * 4 * 3, Json.getLong(params, "stored"));
    assertTrue(Json.getObject(metrics, "best").containsKey("accuracy"));
    assertTrue(Json.getObject(metrics, "final").containsKey("mcc"));
    assertTrue(Json.getDouble(metrics, "step_ms") > 0);
    assertEquals("low-rank", Json.getString(metrics, "update_form"), "auto is low-rank on the CPU");
    Map<String, Object> kernelForms = Json.getObject(metrics, "update_form_kernels");
    assertEquals(12 * 2, Json.getLong(kernelForms, "low-rank"), "every q and v kernel of the 12 layers");
    assertEquals(1, kernelForms.size(), kernelForms.toString());
    assertTrue(!metrics.containsKey("update_form_exceptions"), "every kernel got the form asked for");
    assertEquals("clustered", Json.getString(metrics, "step_launch"), "a CPU without XLA runs the steps as built");
    for (String file : List.of("metrics.json", "config.json", "adapter/vblora_metadata.json")) {
      assertEquals(System.getProperty("vblora.projectVersion"),
          Json.getString(Json.parseObject(Files.readString(run.straight().resolve(file))), "tool_version"), file);
    }
    for (String file : List.of("log.jsonl", "curves.png", "config.json", "adapter/adapter_config.json",
        "adapter/adapter_model.safetensors", "merged/saved_model.pb", "merged/assets/vocab.txt")) {
      assertTrue(Files.isRegularFile(run.straight().resolve(file)), file);
    }
    try (var events = Files.list(run.straight().resolve("tensorboard"))) {
      assertEquals(1, events.count());
    }
    Map<String, Object> peftConfig = Json.parseObject(
        Files.readString(run.straight().resolve("adapter/adapter_config.json")));
    assertEquals(List.of(AdapterHead.MODULE), Json.getArray(peftConfig, "modules_to_save"),
        "the new head is saved as PEFT saves a sequence classifier's");
    assertEquals("SEQ_CLS", Json.getString(peftConfig, "task_type"));
    assertTrue(SafetensorsReader.read(run.straight().resolve("adapter").resolve(AdapterFolder.WEIGHTS_FILE))
        .tensor(AdapterHead.WEIGHT_KEY).isPresent(), "modules_to_save names a module the file holds");
    assertEquals(2, Files.readAllLines(run.straight().resolve("log.jsonl")).stream().filter(l -> l.contains("\"eval\""))
        .count(), "one evaluation every 2 of the 4 steps");
  }

  @Test
  void theMergedModelServesTheAdaptedModelsProbabilitiesInAFreshJvmAndMergeRebuildsIt() throws Exception {
    SavedModelInfo bert = Bert.read();
    TrainConfig config =
        TrainConfig.fromJson(Json.parseObject(Files.readString(run.straight().resolve("config.json"))));
    List<Batch> batches = Bert.batchesOf(run.valid(), 8, 16);
    Batch batch = batches.get(0);
    float[][] adapted;
    Checkpoint best = CheckpointStore.load(run.straight().resolve("checkpoints").resolve(bestCheckpoint()));
    try (TrainingGraph graph = Trainer.buildGraph(config, bert, RunPlanner.plan(config, bert), 2);
        Session session = graph.open(null)) {
      graph.restoreTrainableState(session, best.tensors());
      adapted = graph.predict(session, batch);
    }
    Path inputs = dir.resolve("inputs.json");
    Files.writeString(inputs, ServingProbe.inputsJson(batch.inputIds(), batch.inputMask(), batch.segmentIds()));
    assertClose(adapted, ServingProbe.inFreshJvm(run.straight().resolve("merged"), inputs), 1e-4);
    // valid_predictions.tsv holds the same adapted model's outputs, one row per validation example in file order.
    PredictionTable written = PredictionTable.read(run.straight().resolve(Trainer.VALID_PREDICTIONS));
    assertEquals(2, written.columns().size(), "one column per class");
    float[][] rows = new float[written.examples()][];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = written.row(i);
    }
    assertClose(adapted, rows, 1e-5);

    Path remerged = dir.resolve("remerged");
    CliRun merge = CliRun.of("merge", "--model", "bert-base-uncased", "--adapter",
        run.straight().resolve("adapter").toString(), "--out", remerged.toString());
    assertEquals(0, merge.status(), merge.toString());
    assertClose(adapted, ServingProbe.inFreshJvm(remerged, inputs), 1e-4);
    assertServingSignature(run.straight().resolve("merged"));
    assertServingSignature(remerged);
  }

  /**
   * Issue 17 on adapters written by {@code vblora train} (bert-qv, with heads): the run's final adapter and the
   * one exported from its step-2 checkpoint in one model by {@code vblora export-multi}; loaded in a fresh JVM, a
   * batch that alternates them gives each example what that adapter's merged model gives, to 1e-5.
   */
  @Test
  void exportMultiServesEachTrainedAdaptersMergedModelPerExampleInAFreshJvm() throws Exception {
    Path early = dir.resolve("adapter-step-2");
    CliRun export = CliRun.of("export-adapter", "--checkpoint",
        run.straight().resolve("checkpoints/step-2").toString(), "--out", early.toString());
    assertEquals(0, export.status(), export.toString());
    Path earlyMerged = dir.resolve("merged-step-2");
    CliRun merge = CliRun.of("merge", "--model", "bert-base-uncased", "--adapter", early.toString(), "--out",
        earlyMerged.toString());
    assertEquals(0, merge.status(), merge.toString());
    Path multi = dir.resolve("multi");
    CliRun exportMulti = CliRun.of("export-multi", "--model", "bert-base-uncased", "--adapter",
        "final=" + run.straight().resolve("adapter"), "--adapter", "early=" + early, "--out", multi.toString());
    assertEquals(0, exportMulti.status(), exportMulti.toString());

    Batch batch = Bert.batchesOf(run.valid(), 8, 16).get(0);
    Path inputs = dir.resolve("multi-inputs.json");
    Files.writeString(inputs, ServingProbe.inputsJson(batch.inputIds(), batch.inputMask(), batch.segmentIds()));
    float[][] finalOnly = ServingProbe.inProcess(run.straight().resolve("merged"), inputs);
    float[][] earlyOnly = ServingProbe.inProcess(earlyMerged, inputs);
    List<String> chosen = new ArrayList<>();
    for (int i = 0; i < finalOnly.length; i++) {
      chosen.add(i % 3 == 1 ? "final" : "early");
    }
    Path mixedInputs = dir.resolve("multi-mixed-inputs.json");
    Files.writeString(mixedInputs, ServingProbe.inputsJson(batch.inputIds(), batch.inputMask(), batch.segmentIds(),
        chosen));
    float[][] mixed = ServingProbe.inFreshJvm(multi, mixedInputs);
    for (int i = 0; i < mixed.length; i++) {
      float[] expected = chosen.get(i).equals("final") ? finalOnly[i] : earlyOnly[i];
      assertArrayEquals(expected, mixed[i], 1e-5f, "example " + i + " with adapter " + chosen.get(i));
    }
  }

  /**
   * What is served is what the adapter file says: train's merged/ is its adapter/ merged by {@code vblora merge}
   * (plain Java, the same on every device), so the two merged models are the same bytes, not merely close.
   */
  @Test
  void theMergedModelIsItsAdapterMergedByVbloraMergeBitForBit() throws Exception {
    Path remerged = dir.resolve("merged-from-adapter");
    CliRun merge = CliRun.of("merge", "--model", "bert-base-uncased", "--adapter",
        run.straight().resolve("adapter").toString(), "--out", remerged.toString());
    assertEquals(0, merge.status(), merge.toString());
    for (String file : List.of("variables/variables.index", "variables/variables.data-00000-of-00001",
        "saved_model.pb", "assets.extra/vblora_labels.json")) {
      assertArrayEquals(Files.readAllBytes(remerged.resolve(file)),
          Files.readAllBytes(run.straight().resolve("merged").resolve(file)),
          file + " of train's merged/ vs vblora merge");
    }
  }

  /**
   * An adapter with a NaN in its vector bank would merge into a model whose every probability is NaN (and eval
   * would score that as accuracy 0.5): merge and eval --adapter refuse it, naming the file and the tensor, and
   * write nothing.
   */
  @Test
  void anAdapterWithNanInItsVectorBankIsRefusedByMergeAndEval() throws Exception {
    Path adapter = copyOfAdapter("nan-adapter");
    Path weights = adapter.resolve(AdapterFolder.WEIGHTS_FILE);
    SafetensorsFile file = SafetensorsReader.read(weights);
    StoredTensor bank = file.tensor("base_model.vblora_vector_bank").orElseThrow();
    float[] values = bank.toFloats();
    values[7] = Float.NaN;
    Map<String, StoredTensor> tensors = new java.util.LinkedHashMap<>(file.tensors());
    tensors.put("base_model.vblora_vector_bank", StoredTensor.ofFloats(bank.shape(), values));
    SafetensorsWriter.write(new SafetensorsFile(file.metadata(), tensors), weights);

    Path out = dir.resolve("nan-merged");
    CliRun merge = CliRun.of("merge", "--model", "bert-base-uncased", "--adapter", adapter.toString(), "--out",
        out.toString());
    CliRun eval = CliRun.of("eval", "--model", "bert-base-uncased", "--adapter", adapter.toString(), "--data",
        run.valid().toString(), "--max-length", "16");
    for (CliRun run : List.of(merge, eval)) {
      assertEquals(1, run.status(), run.toString());
      assertTrue(run.err().contains(weights.toString())
          && run.err().contains("the vector bank (base_model.vblora_vector_bank) holds NaN at [0, 7]"), run.err());
    }
    assertTrue(!Files.exists(out), "merge wrote nothing");
  }

  /**
   * A merged model that computes NaN (here: its head's bias, a constant in saved_model.pb, set to NaN) is not
   * scored: eval names the model and the example instead of reporting an accuracy of NaNs.
   */
  @Test
  void evalRefusesAModelThatComputesNanRatherThanScoringIt() throws Exception {
    Path broken = Files.createDirectories(dir.resolve("nan-head"));
    Path merged = run.straight().resolve("merged");
    for (String link : List.of("variables", "assets", "assets.extra")) {
      Files.createSymbolicLink(broken.resolve(link), merged.resolve(link).toAbsolutePath());
    }
    SavedModel saved = SavedModel.parseFrom(Files.readAllBytes(merged.resolve("saved_model.pb")));
    org.tensorflow.proto.GraphDef.Builder graph = saved.getMetaGraphs(0).getGraphDef().toBuilder();
    int biases = 0;
    for (org.tensorflow.proto.NodeDef.Builder node : graph.getNodeBuilderList()) {
      if (node.getName().startsWith("vblora_head/") && node.getOp().equals("Const")
          && node.getAttrOrThrow("value").getTensor().getTensorShape().getDimCount() == 1) {
        node.putAttr("value", org.tensorflow.proto.AttrValue.newBuilder().setTensor(
            org.tensorflow.proto.TensorProto.newBuilder().setDtype(DataType.DT_FLOAT)
                .setTensorShape(node.getAttrOrThrow("value").getTensor().getTensorShape())
                .addFloatVal(Float.NaN).addFloatVal(Float.NaN)).build());
        biases++;
      }
    }
    assertEquals(1, biases, "the head has one bias constant");
    Files.write(broken.resolve("saved_model.pb"), saved.toBuilder()
        .setMetaGraphs(0, saved.getMetaGraphs(0).toBuilder().setGraphDef(graph)).build().toByteArray());

    CliRun eval = CliRun.of("eval", "--model", broken.toString(), "--data", run.valid().toString(),
        "--max-length", "16");
    assertEquals(1, eval.status(), eval.toString());
    assertTrue(eval.err().contains("model " + broken + " computes NaN as its probabilities for example 0"),
        eval.err());
  }

  /**
   * label_names that disagree with the head's class count are refused when the adapter is read, naming the
   * adapter and both counts, instead of merging and then blaming the data file.
   */
  @Test
  void anAdapterWhoseLabelNamesDoNotFitItsHeadIsRefusedByMergeAndEval() throws Exception {
    Path adapter = copyOfAdapter("three-labels");
    Path metadataFile = adapter.resolve("vblora_metadata.json");
    Map<String, Object> metadata = new java.util.LinkedHashMap<>(Json.parseObject(Files.readString(metadataFile)));
    metadata.put("label_names", List.of("negative", "neutral", "positive"));
    Files.writeString(metadataFile, Json.toIndentedJson(metadata));

    CliRun merge = CliRun.of("merge", "--model", "bert-base-uncased", "--adapter", adapter.toString(), "--out",
        dir.resolve("three-labels-merged").toString());
    CliRun eval = CliRun.of("eval", "--model", "bert-base-uncased", "--adapter", adapter.toString(), "--data",
        run.valid().toString(), "--max-length", "16");
    for (CliRun run : List.of(merge, eval)) {
      assertEquals(1, run.status(), run.toString());
      assertTrue(run.err().contains(adapter.toString()) && run.err().contains("lists 3 label_names")
          && run.err().contains("has 2 outputs"), run.err());
    }
    assertFalse(eval.err().contains("merging"), "an adapter refused when read was never being merged: " + eval.err());
    assertTrue(!Files.exists(dir.resolve("three-labels-merged")), "merge wrote nothing");
  }

  private static Path copyOfAdapter(String name) throws Exception {
    Path copy = Files.createDirectories(dir.resolve(name));
    for (String file : List.of("adapter_config.json", AdapterFolder.WEIGHTS_FILE, "vblora_metadata.json")) {
      Files.copy(run.straight().resolve("adapter").resolve(file), copy.resolve(file));
    }
    return copy;
  }

  private static String bestCheckpoint() throws Exception {
    long step = Json.getLong(Json.getObject(Json.parseObject(Files.readString(run.straight().resolve("metrics.json"))),
        "best"), "step");
    return "step-" + step;
  }

  private static void assertClose(float[][] expected, float[][] actual, double tolerance) {
    assertEquals(expected.length, actual.length);
    double worst = 0;
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i].length, actual[i].length);
      for (int j = 0; j < expected[i].length; j++) {
        worst = Math.max(worst, Math.abs(expected[i][j] - actual[i][j]));
      }
    }
    assertTrue(worst <= tolerance, "max abs difference " + worst + " > " + tolerance);
  }

  /** TF Serving's predict method, the model's int32 inputs, the head's outputs beside the model's own. */
  private static void assertServingSignature(Path model) throws Exception {
    SavedModel saved = SavedModel.parseFrom(Files.readAllBytes(model.resolve("saved_model.pb")));
    SignatureDef signature = saved.getMetaGraphs(0).getSignatureDefOrThrow("serving_default");
    assertEquals("tensorflow/serving/predict", signature.getMethodName());
    for (String input : List.of("input_ids", "input_mask", "segment_ids")) {
      assertEquals(DataType.DT_INT32, signature.getInputsOrThrow(input).getDtype(), input);
    }
    for (String output : List.of("logits", "probabilities")) {
      TensorInfo info = signature.getOutputsOrThrow(output);
      assertEquals(DataType.DT_FLOAT, info.getDtype(), output);
      assertEquals(List.of(-1L, 2L), info.getTensorShape().getDimList().stream().map(d -> d.getSize()).toList(),
          output);
    }
    assertTrue(signature.getOutputsMap().keySet().containsAll(List.of("pooled_output", "sequence_output")));
  }

  @Test
  void exportAdapterFromTheBestCheckpointWritesTheRunsAdapter() throws Exception {
    Path exported = dir.resolve("exported");
    CliRun export = CliRun.of("export-adapter", "--checkpoint",
        run.straight().resolve("checkpoints").resolve(bestCheckpoint()).toString(), "--out", exported.toString());
    assertEquals(0, export.status(), export.toString());
    for (String file : List.of("adapter_config.json", "adapter_model.safetensors")) {
      assertArrayEquals(Files.readAllBytes(run.straight().resolve("adapter").resolve(file)),
          Files.readAllBytes(exported.resolve(file)), file);
    }
  }

  @Test
  void evalRefusesToWriteItsPredictionsOverItsDataFile() throws Exception {
    Path data = Files.copy(run.valid(), dir.resolve("eval-data.tsv"));
    Path merged = run.straight().resolve("merged");
    String before = FolderChecksum.of(data, merged);
    CliRun eval = CliRun.of("eval", "--model", merged.toString(), "--data", data.toString(), "--max-length", "16",
        "--predictions-out", data.toString());
    assertEquals(1, eval.status(), eval.toString());
    assertTrue(eval.err().contains("--predictions-out " + data + " is the input --data"), eval.err());
    assertEquals(before, FolderChecksum.of(data, merged), "the data file and the model are as they were");
  }

  @Test
  void evalScoresTheMergedModelAsTrainingDidAndRefusesAnUnknownLabel() throws Exception {
    Path predictions = dir.resolve("eval-predictions.tsv");
    Path trained = run.straight().resolve(Trainer.VALID_PREDICTIONS);
    CliRun eval = CliRun.of("eval", "--model", run.straight().resolve("merged").toString(), "--data",
        run.valid().toString(), "--max-length", "16", "--predictions-out", predictions.toString(),
        "--compare-predictions", trained.toString(), "--json");
    assertEquals(0, eval.status(), eval.toString());
    Map<String, Object> report = Json.parseObject(eval.out());
    assertEquals(8, Json.getLong(report, "examples"));
    // The merged SavedModel scores as the adapted training graph did, example by example.
    double diff = Json.getDouble(report, "max_abs_diff");
    assertTrue(diff <= 1e-4, "max_abs_diff " + diff);
    PredictionTable scored = PredictionTable.read(predictions);
    assertEquals(8, scored.examples());
    assertEquals(diff, scored.maxAbsDifference(PredictionTable.read(trained)), 1e-9);

    Map<String, Object> best =
        Json.getObject(Json.parseObject(Files.readString(run.straight().resolve("metrics.json"))), "best");
    assertEquals(Json.getDouble(best, "accuracy"), Json.getDouble(report, "accuracy"), 1e-9);

    Path unknown = dir.resolve("unknown-label.tsv");
    Files.writeString(unknown, "sentence\tlabel\nA fine day.\t1\nA strange day.\tmaybe\n");
    CliRun refused = CliRun.of("eval", "--model", run.straight().resolve("merged").toString(), "--data",
        unknown.toString());
    assertEquals(1, refused.status(), refused.toString());
    assertTrue(refused.err().contains(unknown.toString()) && refused.err().contains("line 3")
        && refused.err().contains("'maybe'"), refused.err());
  }
}

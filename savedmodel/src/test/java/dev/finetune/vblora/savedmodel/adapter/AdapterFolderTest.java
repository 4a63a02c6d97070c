package dev.finetune.vblora.savedmodel.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.io.OutputFolderExistsException;
import dev.finetune.vblora.data.io.OutputMarker;
import dev.finetune.vblora.data.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The folder layout (PEFT's two files plus our metadata file beside them), and folders that are not (complete,
 * consistent) adapters, which fail with the file and the reason.
 */
class AdapterFolderTest {
  private static final ToolMetadata METADATA = ToolMetadata.of("bert-base-uncased",
      Map.of("encoder.layer.0.attention.self.query", "bert/encoder/layer_0/attention/self/query/kernel"),
      "classification", List.of("negative", "positive"));

  @TempDir
  Path temp;

  @Test
  void adapterFolderWritesGoThroughTheAtomicFolderWriter() throws IOException {
    Path target = temp.resolve("out");
    LoraAdapter adapter = LoraAdapter.of(PeftLoraConfig.builder().r(1).build(),
        List.of(LoraModule.of("m", new float[][] {{1}}, new float[][] {{2}})));
    adapter.write(target, false);
    assertThrows(OutputFolderExistsException.class, () -> adapter.write(target, false));
    adapter.write(target, true);
    try (Stream<Path> entries = Files.list(target)) {
      assertEquals(List.of(OutputMarker.FILE, AdapterConfig.FILE_NAME, AdapterFolder.WEIGHTS_FILE,
          ToolMetadata.FILE_NAME), entries.map(p -> p.getFileName().toString()).sorted().toList());
    }
    assertEquals(OutputMarker.Kind.ADAPTER, OutputMarker.read(target).orElseThrow());
  }

  /** PEFT warns about any key it does not know in adapter_config.json, so ours holds PEFT's keys only. */
  @Test
  void writesPeftsConfigUntouchedAndTheMetadataBesideIt() throws IOException {
    VbLoraAdapter peft = VbLoraAdapter.read(PeftFixtures.folder("qv_topk"));
    VbLoraAdapter ours = peft.withConfig(peft.config().withToolMetadata(METADATA));
    Path folder = temp.resolve("written");
    AdapterFolder.write(ours, folder, false);

    assertEquals(Files.readString(PeftFixtures.folder("qv_topk").resolve(AdapterConfig.FILE_NAME)),
        Files.readString(folder.resolve(AdapterConfig.FILE_NAME)), "byte for byte what PEFT wrote");
    Map<String, Object> file = Json.parseObject(Files.readString(folder.resolve(ToolMetadata.FILE_NAME)));
    assertEquals(System.getProperty("vblora.projectVersion"), file.get("tool_version"));
    assertEquals(List.of("negative", "positive"), file.get("label_names"));
    assertEquals(METADATA, AdapterFolder.read(folder).config().toolMetadata());
  }

  @Test
  void anAdapterWithoutMetadataStillRecordsTheVersionThatWroteIt() throws IOException {
    Path folder = temp.resolve("written");
    AdapterFolder.write(VbLoraAdapter.read(PeftFixtures.folder("qv_topk")), folder, false);
    ToolMetadata read = AdapterFolder.read(folder).config().toolMetadata();
    assertEquals(System.getProperty("vblora.projectVersion"), read.toolVersion());
    assertNull(read.task());
  }

  /** An adapter of an earlier vblora: the metadata inside adapter_config.json under "vblora_java". */
  @Test
  void anOlderLayoutFolderKeepsLoadingAndIsRewrittenInTheNewOne() throws IOException {
    Path old = copyOf("qv_topk");
    Path configFile = old.resolve(AdapterConfig.FILE_NAME);
    Map<String, Object> config = new LinkedHashMap<>(Json.parseObject(Files.readString(configFile)));
    Map<String, Object> legacy = new LinkedHashMap<>(METADATA.toJsonMap());
    legacy.remove("tool_version");
    config.put("vblora_java", legacy);
    Files.writeString(configFile, Json.toPythonJson(config));

    PeftAdapter read = AdapterFolder.read(old);
    assertEquals(METADATA.withToolVersion(null), read.config().toolMetadata());

    Path rewritten = temp.resolve("rewritten");
    AdapterFolder.write(read, rewritten, false);
    assertFalse(Files.readString(rewritten.resolve(AdapterConfig.FILE_NAME)).contains("vblora_java"));
    assertEquals(METADATA, AdapterFolder.read(rewritten).config().toolMetadata());
  }

  @Test
  void theMetadataFileWinsOverTheOlderLayoutsKey() throws IOException {
    Path folder = copyOf("qv_topk");
    Path configFile = folder.resolve(AdapterConfig.FILE_NAME);
    Map<String, Object> config = new LinkedHashMap<>(Json.parseObject(Files.readString(configFile)));
    config.put("vblora_java", Map.of("task", "regression"));
    Files.writeString(configFile, Json.toPythonJson(config));
    Files.writeString(folder.resolve(ToolMetadata.FILE_NAME), METADATA.toJson());
    assertEquals(METADATA, AdapterFolder.read(folder).config().toolMetadata());
  }

  @Test
  void aBrokenMetadataFileIsNamed() throws IOException {
    Path folder = copyOf("qv_topk");
    Path file = folder.resolve(ToolMetadata.FILE_NAME);
    Files.writeString(file, "{\"task\": \"classification\",\n \"label_names\": [1]}");
    AdapterFormatException e = assertThrows(AdapterFormatException.class, () -> AdapterFolder.read(folder));
    assertTrue(e.getMessage().startsWith(file + ": \"label_names\" must be a list of strings"), e.getMessage());
    Files.writeString(file, "{\"task\": \"classification\",\n \"label_names\": [\"a\",]}");
    e = assertThrows(AdapterFormatException.class, () -> AdapterFolder.read(folder));
    assertTrue(e.getMessage().startsWith(file + ": not valid JSON"), e.getMessage());
  }

  @Test
  void missingFolder() {
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> AdapterFolder.read(temp.resolve("nope")));
    assertTrue(e.getMessage().contains("adapter folder not found"), e.getMessage());
  }

  @Test
  void missingConfig() throws IOException {
    Path folder = copyOf("qv_topk");
    Files.delete(folder.resolve(AdapterConfig.FILE_NAME));
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> AdapterFolder.read(folder));
    assertTrue(e.getMessage().contains("adapter_config.json: missing"), e.getMessage());
  }

  @Test
  void missingWeightsMentionsPickleFiles() throws IOException {
    Path folder = copyOf("qv_topk");
    Files.move(folder.resolve(AdapterFolder.WEIGHTS_FILE), folder.resolve("adapter_model.bin"));
    NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> AdapterFolder.read(folder));
    assertTrue(e.getMessage().contains("safe_serialization=True"), e.getMessage());
  }

  @Test
  void configThatDoesNotFitTheTensors() throws IOException {
    Path folder = copyOf("qv_topk");
    Path config = folder.resolve(AdapterConfig.FILE_NAME);
    Files.writeString(config, Files.readString(config).replace("\"num_vectors\": 16", "\"num_vectors\": 32"));
    AdapterFormatException e = assertThrows(AdapterFormatException.class, () -> AdapterFolder.read(folder));
    assertTrue(e.getMessage().contains("vector bank is [16, 128] but adapter_config.json says num_vectors 32"),
        e.getMessage());
  }

  @Test
  void topKFileUnderAFullLogitsConfig() throws IOException {
    Path folder = copyOf("qv_topk");
    Path config = folder.resolve(AdapterConfig.FILE_NAME);
    Files.writeString(config, Files.readString(config).replace("\"save_only_topk_weights\": true",
        "\"save_only_topk_weights\": false"));
    AdapterFormatException e = assertThrows(AdapterFormatException.class, () -> AdapterFolder.read(folder));
    assertTrue(e.getMessage().contains("save_only_topk_weights must be true"), e.getMessage());
  }

  @Test
  void weightsFileFromAnotherMethod() throws IOException {
    Path folder = copyOf("qv_topk");
    Files.copy(PeftFixtures.folder("qv_topk").resolve("expected_delta_weights.safetensors"),
        folder.resolve(AdapterFolder.WEIGHTS_FILE), StandardCopyOption.REPLACE_EXISTING);
    AdapterFormatException e = assertThrows(AdapterFormatException.class, () -> AdapterFolder.read(folder));
    assertTrue(e.getMessage().contains("not a VB-LoRA adapter file"), e.getMessage());
  }

  @Test
  void indicesOfAFloatDtype() throws IOException {
    Path folder = copyOf("qv_topk");
    Path weights = folder.resolve(AdapterFolder.WEIGHTS_FILE);
    SafetensorsFile file = SafetensorsReader.read(weights);
    String key = "base_model.model.encoder.layer.0.attention.self.query.vblora_logits_A_topk_indices";
    StoredTensor indices = file.tensor(key).orElseThrow();
    float[] asFloats = new float[(int) indices.elementCount()];
    long[] values = indices.toLongs();
    for (int i = 0; i < values.length; i++) {
      asFloats[i] = values[i];
    }
    replaceTensor(weights, key, StoredTensor.ofFloats(indices.shape(), asFloats));
    AdapterFormatException e = assertThrows(AdapterFormatException.class, () -> AdapterFolder.read(folder));
    assertTrue(e.getMessage().contains("module encoder.layer.0.attention.self.query: vblora_logits_A_topk_indices "
        + "must be a 3-D integer tensor, got F32[4, 2, 2]"), e.getMessage());
  }

  /**
   * PEFT's safe_merge refuses NaN in merged weights; ours refuses it where it enters: a bank that holds a NaN
   * is refused when the file is read, naming the file, the tensor, the element and the way out.
   */
  @Test
  void aVectorBankHoldingNanIsRefusedNamingTheFileTheTensorAndTheElement() throws IOException {
    Path folder = copyOf("qv_topk");
    Path weights = folder.resolve(AdapterFolder.WEIGHTS_FILE);
    SafetensorsFile file = SafetensorsReader.read(weights);
    StoredTensor bank = file.tensor("base_model.vblora_vector_bank").orElseThrow();
    float[] values = bank.toFloats();
    values[2 * (int) bank.dim(1) + 5] = Float.NaN;
    replaceTensor(weights, "base_model.vblora_vector_bank", StoredTensor.ofFloats(bank.shape(), values));

    AdapterFormatException e = assertThrows(AdapterFormatException.class, () -> AdapterFolder.read(folder));
    String message = e.getMessage();
    assertTrue(message.startsWith(weights.toString()), message);
    assertTrue(message.contains("the vector bank (base_model.vblora_vector_bank) holds NaN at [2, 5]"), message);
    assertTrue(message.contains("vblora export-adapter of RUN/checkpoints/step-N"), message);
  }

  /**
   * PEFT's full logits may hold -inf (an adapter read from a top-k file and saved again in full), but each
   * sub-vector keeps a finite one; a sub-vector of only -inf mixes nothing (softmax 0/0, NaN when PEFT merges it).
   * Refused when read, naming the file and the module, instead of failing later inside the merge.
   */
  @Test
  void aSubVectorOfOnlyMinusInfinityLogitsIsRefusedNamingTheFileAndTheModule() throws IOException {
    Path folder = copyOf("qv_full");
    Path weights = folder.resolve(AdapterFolder.WEIGHTS_FILE);
    SafetensorsFile file = SafetensorsReader.read(weights);
    String key = "base_model.model.encoder.layer.1.attention.self.value.vblora_logits_B";
    StoredTensor logits = file.tensor(key).orElseThrow();
    float[] values = logits.toFloats();
    int h = (int) logits.dim(2);
    Arrays.fill(values, 3 * h, 4 * h, Float.NEGATIVE_INFINITY); // sub-vector 3 of [2, 4, h]
    replaceTensor(weights, key, StoredTensor.ofFloats(logits.shape(), values));

    AdapterFormatException e = assertThrows(AdapterFormatException.class, () -> AdapterFolder.read(folder));
    assertEquals(weights + ": module encoder.layer.1.attention.self.value: sub-vector 3 has only -inf logits, so it"
        + " selects no bank vector (its softmax is NaN); the file is damaged", e.getMessage());
  }

  /** A module's own check already names the module: the file's error names it once. */
  @Test
  void logitsOfTwoRanksNameTheModuleOnce() throws IOException {
    Path folder = copyOf("qv_full");
    Path weights = folder.resolve(AdapterFolder.WEIGHTS_FILE);
    SafetensorsFile file = SafetensorsReader.read(weights);
    String key = "base_model.model.encoder.layer.0.attention.self.query.vblora_logits_A";
    StoredTensor logits = file.tensor(key).orElseThrow();
    replaceTensor(weights, key, StoredTensor.ofFloats(new long[] {2, 4, logits.dim(2)}, logits.toFloats()));

    AdapterFormatException e = assertThrows(AdapterFormatException.class, () -> AdapterFolder.read(folder));
    assertEquals(weights + ": module encoder.layer.0.attention.self.query: logits_A has rank 2 (its first"
        + " dimension) but logits_B has rank 4 (its second dimension)", e.getMessage());
  }

  /** VB-LoRA tensors under a config that says LORA: the error says what the file holds and what to check. */
  @Test
  void aVbLoraFileUnderALoraConfigSaysWhatItHolds() throws IOException {
    Path folder = copyOf("qv_topk");
    Path config = folder.resolve(AdapterConfig.FILE_NAME);
    Files.writeString(config, Files.readString(config).replace("\"peft_type\": \"VBLORA\"", "\"peft_type\": \"LORA\""));
    AdapterFormatException e = assertThrows(AdapterFormatException.class, () -> AdapterFolder.read(folder));
    assertEquals(folder.resolve(AdapterFolder.WEIGHTS_FILE) + ": holds no lora_A/lora_B tensors; it is not a LoRA"
        + " adapter file (it holds VB-LoRA tensors (base_model.vblora_vector_bank, vblora_logits_*)); is"
        + " adapter_config.json's peft_type right?", e.getMessage());
  }

  /**
   * A state dict saved by hand keeps the adapter's name in its keys (base_model.vblora_vector_bank.default);
   * PEFT's save_pretrained drops it. The error names the key it found and says how to save the adapter.
   */
  @Test
  void aBankUnderAnotherKeyIsNamedWithHowPeftSavesIt() throws IOException {
    Path folder = copyOf("qv_topk");
    Path weights = folder.resolve(AdapterFolder.WEIGHTS_FILE);
    SafetensorsFile file = SafetensorsReader.read(weights);
    Map<String, StoredTensor> tensors = new LinkedHashMap<>();
    file.tensors().forEach((key, tensor) -> tensors.put(key.equals(VbLoraSafetensors.BANK_KEY)
        ? key + ".default" : key, tensor));
    SafetensorsWriter.write(new SafetensorsFile(file.metadata(), tensors), weights);
    AdapterFormatException e = assertThrows(AdapterFormatException.class, () -> AdapterFolder.read(folder));
    assertEquals(weights + ": has no tensor \"base_model.vblora_vector_bank\"; it has"
        + " \"base_model.vblora_vector_bank.default\" instead, a state dict not saved as PEFT saves adapters: save it"
        + " with PeftModel.save_pretrained, which writes \"base_model.vblora_vector_bank\" and"
        + " base_model.model.<module>.vblora_logits_* without the adapter's name", e.getMessage());
  }

  private Path copyOf(String fixture) throws IOException {
    Path folder = Files.createDirectories(temp.resolve(fixture));
    for (String name : new String[] {AdapterConfig.FILE_NAME, AdapterFolder.WEIGHTS_FILE}) {
      Files.copy(PeftFixtures.folder(fixture).resolve(name), folder.resolve(name));
    }
    return folder;
  }

  /** Rewrites the safetensors file {@code weights} with {@code tensor} in place of its tensor {@code key}. */
  private static void replaceTensor(Path weights, String key, StoredTensor tensor) throws IOException {
    SafetensorsFile file = SafetensorsReader.read(weights);
    Map<String, StoredTensor> tensors = new LinkedHashMap<>(file.tensors());
    tensors.put(key, tensor);
    SafetensorsWriter.write(new SafetensorsFile(file.metadata(), tensors), weights);
  }
}

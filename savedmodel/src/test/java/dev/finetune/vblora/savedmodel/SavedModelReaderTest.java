package dev.finetune.vblora.savedmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.testing.SharedFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;

class SavedModelReaderTest {
  private static SavedModelInfo bert;

  @BeforeAll
  static void readBert() {
    bert = SavedModelReader.read(TestModels.bert());
  }

  @Test
  void bertHasOneServeMetaGraphWithThePredictSignature() {
    assertEquals(Set.of("serve"), bert.tags());
    assertEquals(Set.of("serving_default"), bert.signatures().keySet());
    SignatureInfo signature = bert.defaultSignature();
    assertEquals("tensorflow/serving/predict", signature.methodName());
    assertEquals(List.of("input_ids", "input_mask", "segment_ids"), List.copyOf(signature.inputs().keySet()));
    for (TensorSpec input : signature.inputs().values()) {
      assertEquals(DataType.DT_INT32, input.dtype());
      assertEquals(List.of(-1L, 128L), input.shape());
    }
    assertEquals("input_ids:0", signature.inputs().get("input_ids").tensorName());
    TensorSpec pooled = signature.outputs().get("pooled_output");
    assertEquals("module_apply_tokens/bert/pooler/dense/Tanh:0", pooled.tensorName());
    assertEquals(List.of(-1L, 768L), pooled.shape());
    assertEquals(List.of(-1L, -1L, 768L), signature.outputs().get("sequence_output").shape());
  }

  @Test
  void variablesFromTheIndexMatchTheGraphsVariableOps() {
    // Independent reference: the shapes and dtypes the graph's VarHandleOps declare.
    Map<String, String> fromGraph = new TreeMap<>();
    for (NodeDef node : bert.metaGraph().getGraphDef().getNodeList()) {
      if (node.getOp().equals("VarHandleOp")) {
        fromGraph.put(node.getAttrOrThrow("shared_name").getS().toStringUtf8(),
            node.getAttrOrThrow("dtype").getType() + " "
                + TensorSpecShapes.of(node.getAttrOrThrow("shape").getShape()));
      }
    }
    Map<String, String> fromIndex = bert.variables().stream().collect(Collectors.toMap(
        VariableInfo::name, v -> v.dtype() + " " + v.shape(), (a, b) -> a, TreeMap::new));
    assertEquals(204, fromIndex.size());
    assertEquals(fromGraph, fromIndex);
    VariableInfo query = bert.variable("module/bert/encoder/layer_0/attention/self/query/kernel").orElseThrow();
    assertEquals(List.of(768L, 768L), query.shape());
    assertEquals(768L * 768L, query.size());
  }

  @Test
  void bertDeclaresItsVocabularyAsAnAsset() {
    assertEquals(3, bert.assets().size());
    for (AssetInfo asset : bert.assets()) {
      assertEquals("vocab.txt", asset.filename());
      assertTrue(Files.isRegularFile(asset.path()));
    }
    assertTrue(bert.assets().stream().anyMatch(a -> a.tensorName().equals("module_apply_tokens/vocab_file:0")));
    List<String> files = bert.assetFiles().stream().map(p -> p.getFileName().toString()).collect(Collectors.toList());
    assertEquals(List.of("model.json", "vocab.txt"), files);
    assertEquals(bert.path().resolve("variables/variables"), bert.variablesPrefix());
  }

  @Test
  void readsKerasSavedModelsToo() {
    SavedModelInfo keras = SavedModelReader.read(SharedFolder.resolve("fixtures/tf2/keras_dense_mlp"));
    TensorSpec input = keras.defaultSignature().inputs().get("dense_input");
    assertEquals("serving_default_dense_input:0", input.tensorName());
    assertEquals(List.of(-1L, 72L), input.shape());
    assertTrue(keras.variables().stream().anyMatch(v -> v.shape().equals(List.of(72L, 256L))));
    assertFalse(keras.metaGraph().getGraphDef().getLibrary().getFunctionList().isEmpty());
  }

  @Test
  void aMissingPathIsNamedWithWhatIsExpected(@TempDir Path temp) {
    Path missing = temp.resolve("nope");
    SavedModelException e = assertThrows(SavedModelException.class, () -> SavedModelReader.read(missing));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    assertTrue(e.getMessage().contains("saved_model.pb"), e.getMessage());
  }

  @Test
  void aFolderWithoutSavedModelIsNotASavedModel(@TempDir Path temp) throws IOException {
    Files.writeString(temp.resolve("model.json"), "{}");
    SavedModelException e = assertThrows(SavedModelException.class, () -> SavedModelReader.read(temp));
    assertTrue(e.getMessage().contains(temp + " is not a SavedModel"), e.getMessage());
    assertTrue(e.getMessage().contains("saved_model.pb"), e.getMessage());
  }

  @Test
  void aFileIsNotASavedModel(@TempDir Path temp) throws IOException {
    Path file = Files.writeString(temp.resolve("model.pb"), "x");
    SavedModelException e = assertThrows(SavedModelException.class, () -> SavedModelReader.read(file));
    assertTrue(e.getMessage().contains(file + " is a file"), e.getMessage());
  }

  @Test
  void garbageInSavedModelPbIsReported(@TempDir Path temp) throws IOException {
    Files.write(temp.resolve("saved_model.pb"), new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 2});
    SavedModelException e = assertThrows(SavedModelException.class, () -> SavedModelReader.read(temp));
    assertTrue(e.getMessage().contains("not a SavedModel protocol buffer"), e.getMessage());
  }

  /** An empty saved_model.pb is a protobuf with no meta graphs: said as a damaged file, not as a missing tag. */
  @Test
  void anEmptySavedModelPbIsNamedAsDamagedNotAsAMissingTag(@TempDir Path temp) throws IOException {
    Path pb = Files.write(temp.resolve("saved_model.pb"), new byte[0]);
    SavedModelException e = assertThrows(SavedModelException.class, () -> SavedModelReader.read(temp));
    assertTrue(e.getMessage().startsWith(pb + " is empty (0 bytes), so it holds no meta graph: the SavedModel is"
        + " corrupt; the model was copied or downloaded incompletely: copy the whole SavedModel folder again"),
        e.getMessage());
    assertFalse(e.getMessage().contains("tag"), e.getMessage());
  }

  @Test
  void aMissingTagListsTheAvailableTagSets() {
    SavedModelException e = assertThrows(SavedModelException.class,
        () -> SavedModelReader.read(bert.path(), Set.of("train")));
    assertTrue(e.getMessage().contains("no meta graph tagged [train]"), e.getMessage());
    assertTrue(e.getMessage().contains("its tag sets are [[serve]]"), e.getMessage());
    assertTrue(e.getMessage().contains("choose another with the tag setting; train and eval need one tagged serve"),
        e.getMessage());
  }

  @Test
  void anUnknownSignatureListsTheSignatures() {
    SavedModelException e = assertThrows(SavedModelException.class, () -> bert.signature("predict"));
    assertTrue(e.getMessage().contains("signature 'predict' is not one of SavedModel "), e.getMessage());
    assertTrue(e.getMessage().contains("'s signatures [serving_default]; choose one of them"), e.getMessage());
    assertEquals(java.util.Optional.of("signature"), e.setting());
  }

  /**
   * A variables file cut short or missing fails before TensorFlow reads it (which says only "Read less bytes
   * than requested"), naming the file and what to do.
   */
  @Test
  void aTruncatedOrMissingVariablesFileIsNamedWithWhatToDo(@TempDir Path temp) throws IOException {
    Path bert = TestModels.bert();
    Path copy = Files.createDirectories(temp.resolve("bert/variables"));
    Files.createSymbolicLink(copy.resolveSibling("saved_model.pb"), bert.resolve("saved_model.pb"));
    Files.createSymbolicLink(copy.resolveSibling("assets"), bert.resolve("assets"));
    Files.copy(bert.resolve("variables/variables.index"), copy.resolve("variables.index"));
    Path data = copy.resolve("variables.data-00000-of-00001");
    try (var in = Files.newInputStream(bert.resolve("variables/variables.data-00000-of-00001"))) {
      Files.write(data, in.readNBytes(1 << 20));
    }
    SavedModelException truncated = assertThrows(SavedModelException.class,
        () -> SavedModelReader.read(copy.getParent()));
    assertTrue(truncated.getMessage().startsWith("the variables file " + data + " is truncated: it has 1048576"
        + " bytes but its tensors"), truncated.getMessage());
    assertTrue(truncated.getMessage().contains("copy the whole SavedModel folder again"), truncated.getMessage());

    Files.delete(data);
    SavedModelException missing = assertThrows(SavedModelException.class,
        () -> SavedModelReader.read(copy.getParent()));
    assertTrue(missing.getMessage().startsWith("the variables file " + data + " is missing"), missing.getMessage());

    Files.delete(copy.resolve("variables.index"));
    Files.write(data, new byte[16]);
    SavedModelException noIndex = assertThrows(SavedModelException.class,
        () -> SavedModelReader.read(copy.getParent()));
    assertTrue(noIndex.getMessage().startsWith("the variables index " + copy.resolve("variables.index")
        + " is missing"), noIndex.getMessage());
  }

  /**
   * A model folder that lost its variables/ (or the index in it) is named as incomplete, before TensorFlow fails
   * at the restore ("Unsuccessful TensorSliceReader constructor") or at the first read ("Could not find variable
   * dense_3/bias ... Container localhost does not exist").
   */
  @Test
  void aModelWhoseGraphHasVariablesButNoVariablesFolderIsIncomplete(@TempDir Path temp) throws IOException {
    Path mlp = SharedFolder.resolve("fixtures/tf2/keras_dense_mlp");
    Path copy = Files.createDirectories(temp.resolve("mlp"));
    Files.copy(mlp.resolve("saved_model.pb"), copy.resolve("saved_model.pb"));
    SavedModelException noFolder = assertThrows(SavedModelException.class, () -> SavedModelReader.read(copy));
    assertTrue(noFolder.getMessage().startsWith("the SavedModel " + copy + " is incomplete: its graph has variables"
        + " (e.g. "), noFolder.getMessage());
    assertTrue(noFolder.getMessage().contains("but its variables folder " + copy.resolve("variables")
        + " is missing; the model was copied or downloaded incompletely: copy the whole SavedModel folder again"),
        noFolder.getMessage());

    Files.createDirectories(copy.resolve("variables"));
    SavedModelException noIndex = assertThrows(SavedModelException.class, () -> SavedModelReader.read(copy));
    assertTrue(noIndex.getMessage().contains("but its variables index " + copy.resolve("variables/variables.index")
        + " is missing"), noIndex.getMessage());
  }
}

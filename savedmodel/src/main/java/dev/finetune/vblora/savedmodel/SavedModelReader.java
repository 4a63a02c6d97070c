package dev.finetune.vblora.savedmodel;

import com.google.protobuf.Any;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.TextFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.tensorflow.proto.AssetFileDef;
import org.tensorflow.proto.CollectionDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SavedModel;

/**
 * Reads a SavedModel folder (TF1 or TF2) without loading it into TensorFlow: meta graph, signatures,
 * variables (from the checkpoint index) and assets.
 */
public final class SavedModelReader {
  /** The tag of serving meta graphs, the one almost every SavedModel has. */
  public static final String SERVE = "serve";

  private static final String EXPECTED = "expected a SavedModel folder holding saved_model.pb (or "
      + "saved_model.pbtxt) and variables/, as written by tf.saved_model.save or SavedModelBuilder";
  /** protobuf-java's own default, stated here because the bound is what keeps a crafted file harmless. */
  private static final int MAX_NESTING = 100;
  private static final String TOO_DEEP = "its messages nest deeper than " + MAX_NESTING + " levels, which no "
      + "TensorFlow export does: the file is damaged or was crafted; export the model again with "
      + "tf.saved_model.save and use that folder";
  /** The ops that hold a variable, whose value a SavedModel keeps in variables/. */
  private static final Set<String> VARIABLE_OPS = Set.of("VarHandleOp", "VariableV2", "Variable");
  /** TF1 exports declare assets in this collection instead of MetaGraphDef.asset_file_def. */
  private static final String ASSETS_COLLECTION = "saved_model_assets";

  private SavedModelReader() {}

  /** Reads the meta graph tagged {@code serve}. */
  public static SavedModelInfo read(Path folder) {
    return read(folder, Set.of(SERVE));
  }

  /** Reads the meta graph whose tag set is exactly {@code tags}. */
  public static SavedModelInfo read(Path folder, Set<String> tags) {
    SavedModel model = parse(folder);
    MetaGraphDef metaGraph = chooseMetaGraph(folder, model, tags);
    Map<String, SignatureInfo> signatures = new LinkedHashMap<>();
    metaGraph.getSignatureDefMap().forEach((key, def) -> signatures.put(key, SignatureInfo.of(key, def)));
    Optional<TensorBundleIndex> index = checkVariables(folder);
    if (index.isEmpty()) {
      requireNoVariables(folder, metaGraph);
    }
    List<VariableInfo> variables = index.map(TensorBundleIndex::tensors).orElse(List.of());
    return new SavedModelInfo(folder, new HashSet<>(metaGraph.getMetaInfoDef().getTagsList()), metaGraph,
        signatures, variables, declaredAssets(folder, metaGraph), assetFiles(folder));
  }

  /**
   * The model's checkpoint index, after checking that its data files are all there and complete (a model
   * without variables has none); every command that loads a model's variables checks this first, so that a
   * damaged folder is named instead of failing inside TensorFlow. {@link #read} also refuses a model whose graph
   * has variables but which has no index.
   *
   * @throws SavedModelException for a missing index next to data files, or a missing or truncated data file
   */
  public static Optional<TensorBundleIndex> checkVariables(Path folder) {
    Path prefix = folder.resolve("variables").resolve("variables");
    Path index = prefix.resolveSibling("variables.index");
    if (!Files.exists(index)) {
      try (var files = Files.list(prefix.getParent())) {
        if (files.anyMatch(f -> f.getFileName().toString().startsWith("variables.data-"))) {
          throw new SavedModelException("the variables index " + index + " is missing (the data files are there);"
              + " " + TensorBundleIndex.COPY_AGAIN);
        }
      } catch (NoSuchFileException e) {
        return Optional.empty();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + prefix.getParent(), e);
      }
      return Optional.empty();
    }
    TensorBundleIndex bundle = TensorBundleIndex.read(prefix);
    bundle.requireDataFiles(prefix);
    return Optional.of(bundle);
  }

  /**
   * Checks a folder about to be loaded by TensorFlow as {@link #read} would, parsing the graph only when there is
   * no checkpoint to check: a complete model costs no second parse of saved_model.pb.
   *
   * @throws SavedModelException for a damaged checkpoint, or a graph with variables and no checkpoint
   */
  public static void requireComplete(Path folder) {
    if (checkVariables(folder).isEmpty()) {
      read(folder);
    }
  }

  /**
   * A model without a checkpoint must have no variables: one whose variables/ folder (or its index) did not come
   * along would otherwise fail inside TensorFlow, at the restore ("Unsuccessful TensorSliceReader constructor")
   * or at the first read of a variable ("Could not find variable ... Container localhost does not exist").
   */
  private static void requireNoVariables(Path folder, MetaGraphDef metaGraph) {
    Optional<NodeDef> variable = metaGraph.getGraphDef().getNodeList().stream()
        .filter(node -> VARIABLE_OPS.contains(node.getOp())).findFirst();
    if (variable.isPresent()) {
      Path variables = folder.resolve("variables");
      String missing = Files.isDirectory(variables)
          ? "its variables index " + variables.resolve("variables.index") + " is missing"
          : "its variables folder " + variables + " is missing";
      throw new SavedModelException("the SavedModel " + folder + " is incomplete: its graph has variables (e.g. "
          + variable.get().getName() + ") but " + missing + "; " + TensorBundleIndex.COPY_AGAIN);
    }
  }

  private static SavedModel parse(Path folder) {
    if (!Files.isDirectory(folder)) {
      String what = Files.exists(folder) ? "is a file" : "does not exist";
      throw new SavedModelException("model path " + folder + " " + what + "; " + EXPECTED);
    }
    Path binary = folder.resolve("saved_model.pb");
    Path text = folder.resolve("saved_model.pbtxt");
    Path file = Files.isRegularFile(binary) ? binary : text;
    try {
      if (Files.isRegularFile(binary)) {
        return requireMetaGraphs(parseBinary(binary), binary);
      }
      if (Files.isRegularFile(text)) {
        SavedModel.Builder builder = SavedModel.newBuilder();
        TextFormat.Parser.newBuilder().setRecursionLimit(MAX_NESTING).build()
            .merge(Files.readString(text, StandardCharsets.UTF_8), builder);
        return requireMetaGraphs(builder.build(), text);
      }
    } catch (InvalidProtocolBufferException | TextFormat.ParseException e) {
      throw new SavedModelException(file + " is not a SavedModel protocol buffer (" + e.getMessage()
          + "); " + (tooDeep(e) ? TOO_DEEP : EXPECTED), e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the SavedModel in " + folder, e);
    }
    throw new SavedModelException("model path " + folder + " is not a SavedModel: it has no "
        + "saved_model.pb; " + EXPECTED);
  }

  /**
   * An empty file parses as a SavedModel without meta graphs (protobuf's empty message); said as such rather
   * than as a missing tag, which would send the user looking for another tag set.
   */
  private static SavedModel requireMetaGraphs(SavedModel model, Path file) throws IOException {
    if (model.getMetaGraphsCount() == 0) {
      String what = Files.size(file) == 0 ? "is empty (0 bytes), so it holds no meta graph" : "holds no meta graph";
      throw new SavedModelException(file + " " + what + ": the SavedModel is corrupt; " + TensorBundleIndex.COPY_AGAIN
          + ", or export the model again");
    }
    return model;
  }

  /**
   * The file comes from users, so parse it under an explicit nesting bound: protobuf-java before 3.25.5
   * (CVE-2024-7254) skipped unknown groups without one and a crafted file overflowed the stack.
   */
  private static SavedModel parseBinary(Path binary) throws IOException {
    CodedInputStream input = CodedInputStream.newInstance(Files.readAllBytes(binary));
    input.setRecursionLimit(MAX_NESTING);
    SavedModel model = SavedModel.parseFrom(input);
    input.checkLastTagWas(0);
    return model;
  }

  private static boolean tooDeep(Exception e) {
    String message = String.valueOf(e.getMessage());
    return message.contains("too many levels of nesting") || message.contains("nested too deep");
  }

  private static MetaGraphDef chooseMetaGraph(Path folder, SavedModel model, Set<String> tags) {
    List<Set<String>> available = new ArrayList<>();
    for (MetaGraphDef metaGraph : model.getMetaGraphsList()) {
      Set<String> its = new TreeSet<>(metaGraph.getMetaInfoDef().getTagsList());
      if (its.equals(tags)) {
        return metaGraph;
      }
      available.add(its);
    }
    throw new SavedModelException("SavedModel " + folder + " has no meta graph tagged " + new TreeSet<>(tags)
        + "; its tag sets are " + available + ": choose another with the tag setting; train and eval"
        + " need one tagged " + SERVE);
  }

  private static List<AssetInfo> declaredAssets(Path folder, MetaGraphDef metaGraph) {
    List<AssetFileDef> defs = new ArrayList<>(metaGraph.getAssetFileDefList());
    CollectionDef collection = metaGraph.getCollectionDefMap().get(ASSETS_COLLECTION);
    if (collection != null) {
      for (Any any : collection.getAnyList().getValueList()) {
        try {
          defs.add(any.unpack(AssetFileDef.class));
        } catch (InvalidProtocolBufferException e) {
          throw new SavedModelException("SavedModel " + folder + " has an unreadable entry in its "
              + ASSETS_COLLECTION + " collection", e);
        }
      }
    }
    return defs.stream()
        .map(def -> new AssetInfo(def.getTensorInfo().getName(), def.getFilename(),
            folder.resolve("assets").resolve(def.getFilename())))
        .collect(Collectors.toList());
  }

  private static List<Path> assetFiles(Path folder) {
    Path assets = folder.resolve("assets");
    if (!Files.isDirectory(assets)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(assets)) {
      return files.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the assets of " + folder, e);
    }
  }
}

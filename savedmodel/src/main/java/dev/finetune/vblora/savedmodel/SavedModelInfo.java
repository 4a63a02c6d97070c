package dev.finetune.vblora.savedmodel;

import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.tensorflow.proto.MetaGraphDef;

/**
 * What a SavedModel holds for one tag set: the meta graph, its signatures, the checkpoint's variables and
 * the assets. Produced by {@link SavedModelReader}.
 *
 * @param path the SavedModel folder
 * @param tags the tag set of the chosen meta graph
 * @param metaGraph the meta graph itself (graph, saver, signatures, collections, function library)
 * @param signatures signature key to signature, sorted by key
 * @param variables the tensors of {@code variables/variables.index}, in key order; empty without variables
 * @param assets the asset files the meta graph declares
 * @param assetFiles every file under {@code assets/}, sorted (declared or not: TF1 hub exports and
 *     TF-Java exports often declare none)
 */
public record SavedModelInfo(
    Path path,
    Set<String> tags,
    MetaGraphDef metaGraph,
    Map<String, SignatureInfo> signatures,
    List<VariableInfo> variables,
    List<AssetInfo> assets,
    List<Path> assetFiles) {

  /** The key TF Serving and most tools use when no signature is named. */
  public static final String DEFAULT_SIGNATURE = "serving_default";

  /**
   * The folder, tags, signatures and sizes: a record's own toString would print the whole meta graph, megabytes
   * for BERT, wherever the object is logged.
   */
  @Override
  public String toString() {
    return "SavedModelInfo[path=" + path + ", tags=" + tags + ", signatures=" + signatures.keySet() + ", nodes="
        + metaGraph.getGraphDef().getNodeCount() + ", functions=" + metaGraph.getGraphDef().getLibrary()
        .getFunctionCount() + ", variables=" + variables.size() + ", assetFiles=" + assetFiles.size() + "]";
  }

  public SavedModelInfo {
    tags = Collections.unmodifiableSet(new TreeSet<>(tags));
    signatures = Collections.unmodifiableMap(new TreeMap<>(signatures));
    variables = List.copyOf(variables);
    assets = List.copyOf(assets);
    assetFiles = List.copyOf(assetFiles);
  }

  /**
   * Whether the graph has a function library: a TF2 export, whose serving functions were traced at its signature's
   * shapes (a fixed sequence length is then the length every batch must take).
   */
  public boolean hasFunctions() {
    return metaGraph.getGraphDef().getLibrary().getFunctionCount() > 0;
  }

  /** The checkpoint prefix to restore base weights from: {@code <path>/variables/variables}. */
  public Path variablesPrefix() {
    return path.resolve("variables").resolve("variables");
  }

  /** The signature with this key; the error lists the keys there are. */
  public SignatureInfo signature(String key) {
    SignatureInfo signature = signatures.get(key);
    if (signature == null) {
      throw new SavedModelException("signature '" + key + "' is not one of SavedModel " + path + "'s signatures "
          + signatures.keySet() + "; choose one of them", List.of("signature"));
    }
    return signature;
  }

  /** {@code serving_default}, or the only signature when there is exactly one. */
  public SignatureInfo defaultSignature() {
    if (signatures.containsKey(DEFAULT_SIGNATURE) || signatures.size() != 1) {
      return signature(DEFAULT_SIGNATURE);
    }
    return signatures.values().iterator().next();
  }

  /** The checkpoint tensor with this name, if any. */
  public Optional<VariableInfo> variable(String name) {
    return variables.stream().filter(v -> v.name().equals(name)).findFirst();
  }
}

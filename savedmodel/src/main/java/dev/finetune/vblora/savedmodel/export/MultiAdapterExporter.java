package dev.finetune.vblora.savedmodel.export;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.model.MultiAdapterRewriter;
import dev.finetune.vblora.model.StackedAdapters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.Graph;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;

/**
 * Writes ONE SavedModel that serves several adapters of one base model, each example choosing its own
 * ({@link MultiAdapterRewriter}): the base variables are the base model's checkpoint, copied byte for byte (so
 * every export of the same base has the same weights files, however many adapters it holds); the adapters are
 * constants of the graph in their compact form (VB-LoRA: banks, top-k indices and weights; LoRA: factors), and
 * their heads stacked ({@link StackedHeads}).
 *
 * <p>Signatures, both {@value MergedExporter#PREDICT_METHOD}: {@value MergedExporter#SERVING_SIGNATURE} takes
 * the model's inputs plus {@value MultiAdapterRewriter#ADAPTER_INPUT} (a name per example, "base" for the
 * untouched model); {@value #BY_INDEX_SIGNATURE} takes {@value MultiAdapterRewriter#ADAPTER_INDEX_INPUT} instead
 * (the adapter's position, {@value #ADAPTERS_FILE} lists them). Outputs are named as in a merged model.
 */
public final class MultiAdapterExporter {
  /** The signature that chooses adapters by index. */
  public static final String BY_INDEX_SIGNATURE = "by_index";
  /** The adapters in index order with their label names; TF Serving ignores assets.extra. */
  public static final String ADAPTERS_FILE = "assets.extra/vblora_adapters.json";

  private final Path baseModel;
  private final String tag;
  private final String signature;

  /**
   * @param signature the base model's signature whose kernels the adapters adapt
   */
  public MultiAdapterExporter(Path baseModel, String tag, String signature) {
    this.baseModel = baseModel;
    this.tag = tag;
    this.signature = signature;
  }

  /**
   * Writes the model into {@code target} (empty or absent; callers make it atomic).
   *
   * @param halfPrecisionBank store VB-LoRA banks as float16 (half their size; outputs then differ from the
   *     merged models by the banks' rounding)
   */
  public void export(List<AdapterChoice> choices, boolean halfPrecisionBank, Path target) throws IOException {
    Path pb = baseModel.resolve("saved_model.pb");
    if (!Files.isRegularFile(pb)) {
      throw new IOException("no saved_model.pb in " + baseModel + "; pass the folder of a SavedModel");
    }
    SavedModel savedModel = SavedModel.parseFrom(Files.readAllBytes(pb));
    int index = MergedExporter.metaGraphIndex(savedModel, tag, baseModel);
    MetaGraphDef metaGraph = savedModel.getMetaGraphs(index);
    if (metaGraph.getSaverDef().getRestoreOpName().isEmpty()) {
      throw new IOException("the SavedModel at " + baseModel + " has no saver to restore its variables with");
    }
    StackedAdapters stacked = AdapterStacking.stack(choices, halfPrecisionBank);
    MultiAdapterRewriter.Rewritten rewritten = MultiAdapterRewriter.rewrite(metaGraph, signature, stacked);
    Optional<StackedHeads> heads = StackedHeads.of(choices);
    MetaGraphDef.Builder out = metaGraph.toBuilder();
    try (Graph graph = new Graph()) {
      graph.importGraphDef(rewritten.graph());
      SignatureDef byName = rewritten.byName();
      SignatureDef byIndex = rewritten.byIndex();
      if (heads.isPresent()) {
        byName = heads.get().addTo(graph, byName, rewritten.choice());
        byIndex = byIndex.toBuilder().putAllOutputs(byName.getOutputsMap()).build();
      }
      out.setGraphDef(graph.toGraphDef())
          .removeSignatureDef(signature)
          .putSignatureDef(MergedExporter.SERVING_SIGNATURE, predict(byName))
          .putSignatureDef(BY_INDEX_SIGNATURE, predict(byIndex));
    }
    Files.createDirectories(target);
    Files.write(target.resolve("saved_model.pb"), MergedExporter.deterministicBytes(
        savedModel.toBuilder().setMetaGraphs(index, out).build()));
    // The base's checkpoint as it is (the adapters live in the graph), and every other file of the model, as a
    // merge copies them (keras_metadata.pb, a vocab outside assets/); not its fingerprint, of another graph.
    MergedExporter.copyModelFiles(baseModel, target, true);
    Path list = target.resolve(ADAPTERS_FILE);
    Files.createDirectories(list.getParent());
    Files.writeString(list, Json.toIndentedJson(adapterList(choices)) + "\n", StandardCharsets.UTF_8);
  }

  private static SignatureDef predict(SignatureDef signature) {
    return signature.toBuilder().setMethodName(MergedExporter.PREDICT_METHOD).build();
  }

  /** {"adapters": [{"index": 0, "name": ..., "method": ..., "labels": [...]}, ...]}, "base" last. */
  private static Map<String, Object> adapterList(List<AdapterChoice> choices) {
    List<Object> adapters = new ArrayList<>();
    for (int i = 0; i < choices.size(); i++) {
      AdapterChoice choice = choices.get(i);
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("index", i);
      entry.put("name", choice.name());
      entry.put("method", choice.adapter().config().peftType());
      entry.put("head", choice.head().isPresent());
      entry.put("labels", choice.head().map(HeadWeights::labelNames).orElse(List.of()));
      adapters.add(entry);
    }
    Map<String, Object> base = new LinkedHashMap<>();
    base.put("index", choices.size());
    base.put("name", StackedAdapters.BASE);
    base.put("method", "none");
    base.put("head", false);
    base.put("labels", List.of());
    adapters.add(base);
    return Map.of("adapters", adapters);
  }
}

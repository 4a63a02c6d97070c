package dev.finetune.vblora.savedmodel.export;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.io.OutputMarker;
import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import com.google.protobuf.CodedOutputStream;
import dev.finetune.vblora.model.CheckpointKeys;
import dev.finetune.vblora.model.ServingPath;
import dev.finetune.vblora.savedmodel.CheckpointPatch;
import dev.finetune.vblora.savedmodel.adapter.NonFiniteValueException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.proto.SavedModel;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.op.core.StridedSlice;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

/**
 * Writes a merged SavedModel: the base model with each adapted kernel replaced by W + delta, so that serving
 * costs exactly what the base model costs and needs no adapter ops.
 *
 * <p>Two shapes (docs/architecture.md):
 * <ul>
 *   <li>weights-only (no head): saved_model.pb and every other file of the model (but its fingerprint.pb, see
 *       {@link #copyModelFiles}) are copied byte for byte; only the variables checkpoint is rewritten, by the
 *       model's own saver, so every tool sees the very same graph;
 *   <li>with a head: the same graph plus the head's dense layer as constants (no new variables, so the
 *       model's own saver still covers every variable) and the serving signature gains the head's outputs.
 * </ul>
 * The base variables are restored with the model's own saver and saved with it again: no variable can be
 * dropped, which TF-Java's automatic saver would do for resource variables.
 */
public final class MergedExporter {
  /** The signature TF Serving calls by default. */
  public static final String SERVING_SIGNATURE = "serving_default";
  public static final String PREDICT_METHOD = "tensorflow/serving/predict";
  private static final String HEAD_SCOPE = "vblora_head";
  /** TensorFlow's hashes of the SavedModel's files (since TF 2.12), which a merge does not copy. */
  static final String FINGERPRINT = "fingerprint.pb";

  private final Path baseModel;
  private final String tag;

  public MergedExporter(Path baseModel, String tag) {
    this.baseModel = baseModel;
    this.tag = tag;
  }

  /**
   * Writes the merged model into {@code target}, which must be an empty or absent folder; callers make the
   * write atomic by passing a temporary folder and moving it into place when this returns.
   *
   * @param deltas per base variable name (e.g. module/bert/encoder/layer_0/attention/self/query/kernel), the
   *     [in, out] update to add to the kernel ([d_in, d_out] for an Einsum kernel of higher rank)
   */
  public void export(Map<String, float[][]> deltas, Optional<HeadWeights> head, Path target) throws IOException {
    Path pb = baseModel.resolve("saved_model.pb");
    if (!Files.isRegularFile(pb)) {
      throw new IOException("no saved_model.pb in " + baseModel + "; pass the folder of a SavedModel");
    }
    byte[] pbBytes = Files.readAllBytes(pb);
    SavedModel savedModel = SavedModel.parseFrom(pbBytes);
    int index = metaGraphIndex(savedModel, tag, baseModel);
    MetaGraphDef metaGraph = savedModel.getMetaGraphs(index);
    SaverDef saver = metaGraph.getSaverDef();
    if (saver.getRestoreOpName().isEmpty()) {
      throw new IOException("the SavedModel at " + baseModel + " has no saver; merging needs the model's own "
          + "saver (TF1 graph exports have one)");
    }
    Files.createDirectories(target.resolve("variables"));
    Path basePrefix = baseModel.resolve("variables").resolve("variables");
    Path targetPrefix = target.resolve("variables").resolve("variables");
    boolean patched = patchCheckpoint(metaGraph, saver, deltas, basePrefix, targetPrefix);
    GraphDef graphDef = metaGraph.getGraphDef();
    SignatureDef serving = metaGraph.getSignatureDefMap().get(SERVING_SIGNATURE);
    if (head.isPresent() && serving != null && !serving.getOutputsMap().containsKey(head.get().inputOutputKey())) {
      // A head on a tensor inside the model's functions: the serving path becomes main-graph nodes, as in training.
      ServingPath.Inlined inlined = ServingPath.inline(graphDef, serving);
      graphDef = inlined.graph();
      serving = inlined.signature();
    }
    SignatureDef servingSignature = serving;
    try (Graph graph = new Graph()) {
      graph.importGraphDef(graphDef);
      Ops tf = Ops.create(graph);
      SignatureDef servingWithHead = head.map(h -> addHead(tf, graph, metaGraph, servingSignature, h)).orElse(null);
      if (!patched) {
        List<Op> updates = addKernelUpdates(tf, graph, deltas);
        Map<String, Operand<TBool>> finite = finiteChecks(tf, graph, deltas.keySet());
        try (Session session = new Session(graph, cpuOnly())) {
          runSaver(session, saver, saver.getRestoreOpName(), basePrefix);
          if (!updates.isEmpty()) {
            Session.Runner runner = session.runner();
            updates.forEach(runner::addTarget);
            runner.run().close();
            requireFinite(session, finite);
          }
          runSaver(session, saver, null, targetPrefix);
        }
      }
      if (servingWithHead == null) {
        Files.write(target.resolve("saved_model.pb"), pbBytes);
      } else {
        MetaGraphDef merged = metaGraph.toBuilder()
            .setGraphDef(graph.toGraphDef())
            .putSignatureDef(SERVING_SIGNATURE, servingWithHead)
            .build();
        Files.write(target.resolve("saved_model.pb"), deterministicBytes(savedModel.toBuilder()
            .setMetaGraphs(index, merged).build()));
      }
    }
    copyModelFiles(baseModel, target, false);
  }

  /**
   * Copies every file and folder of the base model that the merge does not write itself, byte for byte: assets/,
   * assets.extra/, Keras' keras_metadata.pb (it describes the object graph, which both shapes keep), folders of
   * the model's own (ALBERT's assets-extra/), notes. Links are followed, so the merged model stands alone.
   *
   * <p>Not copied: saved_model.pb and the variables checkpoint, written above (and saved_model.pbtxt, which
   * would show the base graph beside the merged one), the base's {@value OutputMarker#FILE}, and
   * {@value #FINGERPRINT}. TensorFlow's fingerprint holds hashes of saved_model.pb and of the variables index
   * (checkpoint_hash), so the base's would describe other weights (and, with a head, another graph); writing
   * a true one means reproducing TensorFlow's FarmHash over its regularized graph, which TF-Java does not
   * expose. The file is optional: a SavedModel without it loads and serves the same (TensorFlow only reports
   * the fingerprint in its metrics; tf.saved_model.experimental.read_fingerprint finds none).
   *
   * @param checkpoint copy the variables checkpoint too (an export that rewrites saved_model.pb only, as {@link
   *     MultiAdapterExporter}); a merge writes its own
   */
  static void copyModelFiles(Path baseModel, Path target, boolean checkpoint) throws IOException {
    try (Stream<Path> entries = Files.list(baseModel)) {
      for (Path entry : (Iterable<Path>) entries.sorted()::iterator) {
        String name = entry.getFileName().toString();
        if (name.equals("saved_model.pb") || name.equals("saved_model.pbtxt") || name.equals(FINGERPRINT)
            || name.equals(OutputMarker.FILE)) {
          continue;
        }
        if (name.equals("variables") && Files.isDirectory(entry)) {
          Files.createDirectories(target.resolve("variables"));
          try (Stream<Path> files = Files.list(entry)) {
            for (Path file : (Iterable<Path>) files.sorted()::iterator) {
              String variable = file.getFileName().toString();
              if (checkpoint || !variable.equals("variables.index") && !variable.startsWith("variables.data-")) {
                copyEntry(file, target.resolve("variables").resolve(variable));
              }
            }
          }
        } else {
          copyEntry(entry, target.resolve(name));
        }
      }
    }
  }

  private static void copyEntry(Path from, Path to) throws IOException {
    if (Files.isDirectory(from)) {
      copyFolder(from, to);
    } else {
      Files.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES);
    }
  }

  /**
   * Writes the merged checkpoint without TensorFlow when the model's saver can be read (variable to checkpoint
   * key, see CheckpointKeys) and every merged kernel is a plain float32 entry: the base checkpoint copied, each
   * kernel overwritten with W + delta (float32 adds, the same as TensorFlow's AddV2), every other byte the
   * base's. Restoring and saving 420 MB through a session took most of a BERT export's time; this is a file copy.
   *
   * @return false when it could not (the caller then merges through a session); nothing was written then
   */
  private boolean patchCheckpoint(MetaGraphDef metaGraph, SaverDef saver, Map<String, float[][]> deltas,
      Path basePrefix, Path targetPrefix) throws IOException {
    if (deltas.isEmpty()) {
      return false;
    }
    Optional<Map<String, String>> keys = CheckpointKeys.of(metaGraph.getGraphDef(), saver);
    if (keys.isEmpty() || !keys.get().keySet().containsAll(deltas.keySet())) {
      return false;
    }
    Map<String, String> variableOf = new LinkedHashMap<>();
    deltas.keySet().forEach(v -> variableOf.put(keys.get().get(v), v));
    return CheckpointPatch.write(basePrefix, targetPrefix, List.copyOf(variableOf.keySet()), (key, w) -> {
      String variable = variableOf.get(key);
      float[][] delta = deltas.get(variable);
      float[] merged = new float[w.length];
      int i = 0;
      for (float[] row : delta) {
        for (float d : row) {
          if (i >= merged.length) {
            throw new VbLoraException("the update for " + variable + " has more values than its "
                + w.length + "; was the adapter trained on another model?");
          }
          merged[i] = w[i] + d;
          i++;
        }
      }
      if (i != merged.length) {
        throw new VbLoraException("the update for " + variable + " has " + i + " values, the kernel "
            + w.length + "; was the adapter trained on another model?");
      }
      for (float m : merged) {
        if (!Float.isFinite(m)) {
          throw nonFiniteKernel(variable);
        }
      }
      return merged;
    });
  }

  /** A session on the CPU: merging needs no accelerator, and a GPU session would copy every weight there. */
  private static ConfigProto cpuOnly() {
    return ConfigProto.newBuilder().putDeviceCount("GPU", 0).build();
  }

  /**
   * The model's bytes with every map (a node's attrs, the signatures) in key order: TensorFlow hands the graph
   * back with attrs in hash order, so the same merge would otherwise give other bytes in another process.
   */
  static byte[] deterministicBytes(SavedModel model) throws IOException {
    byte[] bytes = new byte[model.getSerializedSize()];
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    out.useDeterministicSerialization();
    model.writeTo(out);
    out.checkNoSpaceLeft();
    return bytes;
  }

  /** The index of the meta graph tagged {@code tag} (also the multi-adapter export's). */
  static int metaGraphIndex(SavedModel savedModel, String tag, Path baseModel) throws IOException {
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < savedModel.getMetaGraphsCount(); i++) {
      List<String> tags = savedModel.getMetaGraphs(i).getMetaInfoDef().getTagsList();
      if (tags.contains(tag)) {
        return i;
      }
      seen.add(tags.toString());
    }
    throw new IOException("the SavedModel at " + baseModel + " has no meta graph tagged '" + tag
        + "'; its tag sets are " + seen);
  }

  private static List<Op> addKernelUpdates(Ops tf, Graph graph, Map<String, float[][]> deltas) {
    List<Op> updates = new ArrayList<>();
    for (Map.Entry<String, float[][]> e : deltas.entrySet()) {
      GraphOperation variable = graph.operation(e.getKey());
      if (variable == null) {
        throw new VbLoraException("the base model has no variable '" + e.getKey()
            + "' to merge an adapter into; was the adapter trained on another model?");
      }
      Operand<TFloat32> delta = tf.constant(StdArrays.ndCopyOf(e.getValue()));
      // An Einsum kernel (e.g. [in, heads, head_dim]) gets its update as [d_in, d_out]: the same values in the
      // same row-major order, so a reshape to the variable's shape lines them up (a no-op for 2-D kernels).
      switch (variable.type()) {
        case "VarHandleOp":
          updates.add(tf.assignAddVariableOp(variable.output(0), tf.reshape(delta,
              tf.shape(tf.readVariableOp(variable.output(0), TFloat32.class)))));
          break;
        case "VariableV2":
          Output<TFloat32> ref = variable.output(0);
          updates.add(tf.assignAdd(ref, tf.reshape(delta, tf.shape(ref))));
          break;
        default:
          throw new VbLoraException("'" + e.getKey() + "' is a " + variable.type()
              + " node, not a variable; cannot merge a delta into it");
      }
    }
    return updates;
  }

  /** Per updated variable, whether all its values are finite (read after the update ran). */
  private static Map<String, Operand<TBool>> finiteChecks(Ops tf, Graph graph, Iterable<String> variables) {
    Map<String, Operand<TBool>> checks = new LinkedHashMap<>();
    for (String name : variables) {
      GraphOperation variable = graph.operation(name);
      Operand<TFloat32> value = variable.type().equals("VarHandleOp")
          ? tf.readVariableOp(variable.output(0), TFloat32.class) : variable.<TFloat32>output(0);
      checks.put(name, tf.reduceAll(tf.math.isFinite(tf.reshape(value, tf.constant(new long[] {-1}))),
          tf.constant(0)));
    }
    return checks;
  }

  /**
   * PEFT's safe_merge: a merged kernel with NaN or infinity ("NaNs detected in the merged weights") is refused
   * before anything is saved, naming the kernel.
   */
  private void requireFinite(Session session, Map<String, Operand<TBool>> checks) {
    for (Map.Entry<String, Operand<TBool>> check : checks.entrySet()) {
      try (Result result = session.runner().fetch(check.getValue()).run()) {
        if (!((TBool) result.get(0)).getBoolean()) {
          throw nonFiniteKernel(check.getKey());
        }
      }
    }
  }

  private NonFiniteValueException nonFiniteKernel(String variable) {
    return new NonFiniteValueException("the merged kernel " + variable + " (base kernel of " + baseModel
        + " plus the adapter's update) holds NaN or infinity, so every output of the merged model would be NaN;"
        + " the base model's own weights are broken or do not belong to the adapter: merge into the base model"
        + " the adapter was trained on");
  }

  private static void runSaver(Session session, SaverDef saver, String restoreOp, Path prefix) {
    try (TString file = TString.scalarOf(prefix.toString())) {
      Session.Runner runner = session.runner().feed(saver.getFilenameTensorName(), file);
      if (restoreOp != null) {
        runner.addTarget(restoreOp);
      } else {
        runner.fetch(saver.getSaveTensorName());
      }
      runner.run().close();
    }
  }

  /**
   * The tensor a head reads: the signature's output {@code key}, or a tensor of that name on the serving path
   * (also the multi-adapter model's stacked head).
   */
  static String featuresTensor(Graph graph, SignatureDef serving, String key) {
    TensorInfo input = serving.getOutputsMap().get(key);
    if (input != null) {
      return input.getName();
    }
    List<String> nodes = new ArrayList<>();
    graph.operations().forEachRemaining(op -> nodes.add(op.name()));
    try {
      return ServingPath.tensor(nodes, key);
    } catch (IllegalArgumentException e) {
      throw new VbLoraException("the serving signature has no output '" + key + "' for the head to read (its"
          + " outputs are " + serving.getOutputsMap().keySet() + ") and its serving path no such tensor: "
          + e.getMessage(), e);
    }
  }

  private static SignatureDef addHead(Ops tf, Graph graph, MetaGraphDef metaGraph, SignatureDef serving,
      HeadWeights head) {
    if (serving == null) {
      throw new VbLoraException("the base model has no '" + SERVING_SIGNATURE + "' signature to "
          + "attach the head to; its signatures are " + metaGraph.getSignatureDefMap().keySet());
    }
    String featuresName = featuresTensor(graph, serving, head.inputOutputKey());
    Ops scope = tf.withSubScope(HEAD_SCOPE);
    Output<TFloat32> features = pooled(scope, graph, serving, head,
        graph.outputOrThrow(featuresName).expect(TFloat32.class));
    Operand<TFloat32> logits = scope.withName("logits").math.add(
        scope.linalg.matMul(features, scope.constant(StdArrays.ndCopyOf(head.kernel()))),
        scope.constant(head.bias()));
    SignatureDef.Builder signature = serving.toBuilder().setMethodName(PREDICT_METHOD);
    if (head.classification()) {
      Operand<TFloat32> probabilities = scope.withName("probabilities").nn.softmax(logits);
      signature.putOutputs("logits", info(logits, head.outputSize()));
      signature.putOutputs("probabilities", info(probabilities, head.outputSize()));
    } else {
      Operand<TFloat32> predictions = scope.withName("predictions")
          .reshape(logits, scope.constant(new long[] {-1}));
      signature.putOutputs("predictions", info(predictions, -1));
    }
    return signature.build();
  }

  /** The features as the head reads them: as they are, a sequence's first token, or its masked mean. */
  static Output<TFloat32> pooled(Ops scope, Graph graph, SignatureDef serving, HeadWeights head,
      Output<TFloat32> features) {
    switch (head.pooling()) {
      case HeadWeights.CLS:
        return scope.stridedSlice(features, scope.constant(new int[] {0, 0, 0}), scope.constant(new int[] {0, 1, 0}),
            scope.constant(new int[] {1, 1, 1}), StridedSlice.beginMask(5L), StridedSlice.endMask(5L),
            StridedSlice.shrinkAxisMask(2L)).output();
      case HeadWeights.MEAN:
        TensorInfo mask = serving.getInputsMap().get(head.maskInput());
        if (mask == null) {
          throw new VbLoraException("the serving signature has no input '" + head.maskInput()
              + "' for the head's mean pooling; its inputs are " + serving.getInputsMap().keySet());
        }
        Operand<TFloat32> weights = scope.expandDims(scope.dtypes.cast(graph.outputOrThrow(mask.getName()),
            TFloat32.class), scope.constant(-1));
        Operand<TFloat32> total = scope.reduceSum(scope.math.mul(features, weights), scope.constant(1));
        Operand<TFloat32> count = scope.math.maximum(scope.reduceSum(weights, scope.constant(1)), scope.constant(1f));
        return scope.withName("mean").math.div(total, count).z();
      default:
        return features;
    }
  }

  static TensorInfo info(Operand<?> operand, int lastDim) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder()
        .addDim(TensorShapeProto.Dim.newBuilder().setSize(-1));
    if (lastDim > 0) {
      shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(lastDim));
    }
    return TensorInfo.newBuilder()
        .setName(operand.op().name() + ":0")
        .setDtype(DataType.DT_FLOAT)
        .setTensorShape(shape)
        .build();
  }

  static void copyFolder(Path from, Path to) throws IOException {
    if (!Files.isDirectory(from)) {
      return;
    }
    try (Stream<Path> files = Files.walk(from, FileVisitOption.FOLLOW_LINKS)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path dest = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(dest);
        } else {
          Files.copy(p, dest, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }
}

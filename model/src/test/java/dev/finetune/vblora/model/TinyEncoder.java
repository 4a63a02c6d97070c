package dev.finetune.vblora.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.VarHandleOp;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.proto.TensorInfo;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * A two-layer toy encoder laid out like the TF Hub BERT export: variables under {@code model/}, the serving
 * path under {@code serve/}, an unused second copy under {@code unused/}, a one-hot embedding lookup,
 * activation-by-activation attention scores, one kernel stored transposed and a pooler head.
 */
final class TinyEncoder {
  static final int HIDDEN = 8;
  static final int FFN = 16;

  private final Map<String, Operand<?>> handles = new HashMap<>();
  private final Map<String, Ops> scopes = new HashMap<>();
  private final Ops tf;

  private TinyEncoder(Ops tf) {
    this.tf = tf;
  }

  /** Graph and serving signature. */
  record Built(GraphDef graph, SignatureDef signature) {
    /** The graph with its signature under {@code key}, as a SavedModel's MetaGraphDef holds them. */
    MetaGraphDef metaGraph(String key) {
      return MetaGraphDef.newBuilder().setGraphDef(graph).putSignatureDef(key, signature).build();
    }
  }

  static Built build() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      TinyEncoder builder = new TinyEncoder(tf);
      Placeholder<TFloat32> x = tf.withName("x").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, HIDDEN)));
      Placeholder<TInt32> segments = tf.withName("segment_ids").placeholder(TInt32.class,
          Placeholder.shape(Shape.of(-1)));
      Ops serve = tf.withSubScope("serve");
      Operand<TFloat32> sequence = builder.encoder(serve, x, segments);
      Ops pooler = serve.withSubScope("pooler");
      Operand<TFloat32> pooled = pooler.withName("Tanh").math.tanh(
          dense(pooler, builder.read("model/pooler/dense/kernel", HIDDEN, HIDDEN), sequence, false));
      // A second copy of the network that serving never runs (TF Hub exports carry such copies).
      builder.encoder(tf.withSubScope("unused"), tf.withName("unused_x").placeholder(TFloat32.class,
          Placeholder.shape(Shape.of(-1, HIDDEN))), segments);

      SignatureDef signature = SignatureDef.newBuilder()
          .setMethodName("tensorflow/serving/predict")
          .putInputs("x", info(x.op().name() + ":0", DataType.DT_FLOAT))
          .putInputs("segment_ids", info(segments.op().name() + ":0", DataType.DT_INT32))
          .putOutputs("pooled_output", info(pooled.op().name() + ":0", DataType.DT_FLOAT))
          .putOutputs("sequence_output", info(sequence.op().name() + ":0", DataType.DT_FLOAT))
          .build();
      return new Built(g.toGraphDef(), signature);
    }
  }

  private Operand<TFloat32> encoder(Ops scope, Operand<TFloat32> x, Operand<TInt32> segments) {
    Ops emb = scope.withSubScope("embeddings");
    Operand<TFloat32> oneHot = emb.oneHot(segments, emb.constant(2), emb.constant(1f), emb.constant(0f));
    Operand<TFloat32> h = emb.math.add(x, emb.linalg.matMul(oneHot,
        read("model/embeddings/token_type_embeddings", 2, HIDDEN)));
    Ops encoderScope = scope.withSubScope("encoder");
    for (int layer = 0; layer < 2; layer++) {
      String prefix = "model/encoder/layer_" + layer;
      Ops l = encoderScope.withSubScope("layer_" + layer);
      Operand<TFloat32> q = dense(l.withSubScope("query"), read(prefix + "/attention/self/query/kernel",
          HIDDEN, HIDDEN), h, false);
      Operand<TFloat32> k = dense(l.withSubScope("key"), read(prefix + "/attention/self/key/kernel",
          HIDDEN, HIDDEN), h, false);
      Operand<TFloat32> v = dense(l.withSubScope("value"), read(prefix + "/attention/self/value/kernel",
          HIDDEN, HIDDEN), h, false);
      // Scores and context multiply activations by activations: no kernels there.
      Operand<TFloat32> scores = l.linalg.matMul(q, k, MatMul.transposeB(true));
      Operand<TFloat32> context = l.linalg.matMul(l.nn.softmax(scores), v);
      Operand<TFloat32> up = dense(l.withSubScope("intermediate"), read(prefix + "/intermediate/dense/kernel",
          HIDDEN, FFN), context, false);
      // Layer 1 keeps its FFN output kernel as [out, in] and multiplies with transpose_b.
      boolean transposed = layer == 1;
      Operand<TFloat32> down = dense(l.withSubScope("output"), read(prefix + "/output/dense/kernel",
          transposed ? HIDDEN : FFN, transposed ? FFN : HIDDEN), up, transposed);
      h = l.math.add(h, down);
    }
    return scope.withName("sequence").identity(h);
  }

  private static Operand<TFloat32> dense(Ops tf, Operand<TFloat32> kernel, Operand<TFloat32> x, boolean transposeB) {
    return tf.linalg.matMul(x, kernel, MatMul.transposeB(transposeB));
  }

  /** The variable (created once, under its full name) read where it is used. */
  private Operand<TFloat32> read(String variable, long rows, long cols) {
    Operand<?> handle = handles.get(variable);
    if (handle == null) {
      int slash = variable.lastIndexOf('/');
      handle = scope(variable.substring(0, slash)).withName(variable.substring(slash + 1))
          .varHandleOp(TFloat32.class, Shape.of(rows, cols), VarHandleOp.sharedName(variable));
      handles.put(variable, handle);
    }
    return tf.readVariableOp(handle, TFloat32.class);
  }

  /** One Ops per scope path, so that no scope is opened twice (TF would rename the second to model_1). */
  private Ops scope(String path) {
    Ops scope = scopes.get(path);
    if (scope == null) {
      int slash = path.lastIndexOf('/');
      scope = slash < 0 ? tf.withSubScope(path) : scope(path.substring(0, slash)).withSubScope(path.substring(slash + 1));
      scopes.put(path, scope);
    }
    return scope;
  }

  private static TensorInfo info(String name, DataType dtype) {
    return TensorInfo.newBuilder().setName(name).setDtype(dtype).build();
  }

  /** The variables of the serving path's kernels, in creation order. */
  static List<String> servingKernels() {
    List<String> names = new ArrayList<>();
    for (int layer = 0; layer < 2; layer++) {
      for (String k : List.of("attention/self/query", "attention/self/key", "attention/self/value",
          "intermediate/dense", "output/dense")) {
        names.add("model/encoder/layer_" + layer + "/" + k + "/kernel");
      }
    }
    names.add("model/pooler/dense/kernel");
    return names;
  }

  /**
   * The toy under {@code signature} with what most tests need: its kernels, random but fixed base weights (by
   * variable name, in graph order) and input rows {@code x}, all drawn from {@code seed}.
   */
  record Fixture(MetaGraphDef metaGraph, List<Kernel> kernels, Map<String, float[][]> weights, float[][] x) {}

  static Fixture fixture(String signature, long seed) {
    MetaGraphDef metaGraph = build().metaGraph(signature);
    Random random = new Random(seed);
    Map<String, float[][]> weights = randomWeights(metaGraph.getGraphDef(), random);
    return new Fixture(metaGraph, KernelDiscovery.discover(metaGraph, signature), weights, randomInput(random));
  }

  /** Random but fixed values for every variable of {@code graph} (all of rank 2 here), in graph order. */
  static Map<String, float[][]> randomWeights(GraphDef graph, Random random) {
    Map<String, float[][]> weights = new LinkedHashMap<>();
    for (NodeDef node : graph.getNodeList()) {
      if (node.getOp().equals("VarHandleOp")) {
        var dims = node.getAttrOrThrow("shape").getShape().getDimList();
        float[][] w = new float[(int) dims.get(0).getSize()][(int) dims.get(1).getSize()];
        for (float[] row : w) {
          for (int j = 0; j < row.length; j++) {
            row[j] = (float) random.nextGaussian() * 0.3f;
          }
        }
        weights.put(node.getName(), w);
      }
    }
    return weights;
  }

  /** Three random input rows {@code x}, each {@link #HIDDEN} wide. */
  static float[][] randomInput(Random random) {
    float[][] x = new float[3][HIDDEN];
    for (float[] row : x) {
      for (int j = 0; j < row.length; j++) {
        row[j] = (float) random.nextGaussian();
      }
    }
    return x;
  }

  /** Assigns {@code weights} to the variables of the same names in {@code graph}, in one session call. */
  static void assign(Graph graph, Session session, Map<String, float[][]> weights) {
    Ops tf = Ops.create(graph).withSubScope("test_weights");
    Session.Runner runner = session.runner();
    weights.forEach((name, w) -> runner.addTarget(tf.assignVariableOp(graph.operationOrThrow(name).output(0),
        tf.constant(w))));
    runner.run().close();
  }

  /** The segment ids the toy's tests feed beside {@code x}. */
  static final int[] SEGMENTS = {0, 1, 1};

  /**
   * Runs {@code adapted} on the toy's input with its base weights (packed where the graph packs them) and the
   * adapter at its seeded initial values: each signature output ({@code output:KEY}) and each adapted kernel's
   * delta ({@code delta:KERNEL}), flattened, in a fixed order.
   */
  static Map<String, float[]> outputsAndDeltas(AdaptedGraph adapted, Fixture toy) {
    try (Session session = adapted.newSession()) {
      assign(adapted.graph(), session, toy.weights());
      adapted.packBaseWeights(session);
      session.runner().addTarget(adapted.initOp()).run().close();
      Map<String, float[]> values = outputs(adapted.outputs(), session, toy.x());
      adapted.deltas(session).forEach((kernel, d) -> values.put("delta:" + kernel, flatten(d)));
      return values;
    }
  }

  /**
   * Each of {@code outputs} (signature key to tensor name) as {@code output:KEY} for input rows {@code x},
   * flattened, in a fixed order, from whatever values {@code session} holds.
   */
  static Map<String, float[]> outputs(Map<String, String> outputs, Session session, float[][] x) {
    try (TFloat32 rows = TFloat32.tensorOf(StdArrays.ndCopyOf(x)); TInt32 segments = TInt32.vectorOf(SEGMENTS)) {
      Session.Runner runner = session.runner().feed("x:0", rows).feed("segment_ids:0", segments);
      List<String> keys = new ArrayList<>(new TreeMap<>(outputs).keySet());
      keys.forEach(k -> runner.fetch(outputs.get(k)));
      Map<String, float[]> values = new LinkedHashMap<>();
      try (Result result = runner.run()) {
        List<float[]> flat = FloatArrays.flat(result, keys.size());
        for (int i = 0; i < keys.size(); i++) {
          values.put("output:" + keys.get(i), flat.get(i));
        }
      }
      return values;
    }
  }

  static float[] flatten(float[][] rows) {
    int n = 0;
    for (float[] row : rows) {
      n += row.length;
    }
    float[] flat = new float[n];
    int at = 0;
    for (float[] row : rows) {
      System.arraycopy(row, 0, flat, at, row.length);
      at += row.length;
    }
    return flat;
  }
}

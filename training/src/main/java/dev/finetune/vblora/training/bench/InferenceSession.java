package dev.finetune.vblora.training.bench;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.TensorSpec;
import dev.finetune.vblora.training.device.DeviceOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.op.Op;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

/**
 * The model's own graph, untouched, on one session: the base weights restored with the model's saver and,
 * for a merged model, W + delta assigned into the adapted kernels, which is exactly what a weights-only
 * merged export serves (same graph, other values).
 */
final class InferenceSession implements AutoCloseable {
  private static final String OUTPUT_SUM = "bench_output_sum";

  private final String method;
  private final BenchMode mode;
  private final Graph graph;
  private final Session session;
  private final SyntheticBatch batch;
  private final String outputSum;

  private InferenceSession(String method, BenchMode mode, Graph graph, Session session, SyntheticBatch batch,
      String outputSum) {
    this.method = method;
    this.mode = mode;
    this.graph = graph;
    this.session = session;
    this.batch = batch;
    this.outputSum = outputSum;
  }

  /** The untouched model. */
  static InferenceSession base(SavedModelInfo model, String signature, BenchTask.Prepared prepared,
      DeviceOptions device) {
    return open(model, signature, Map.of(), "none", BenchMode.BASE, prepared, device);
  }

  /**
   * The untouched graph with {@code deltas} (per kernel variable, in its layout, or [d_in, d_out] for an Einsum
   * kernel of higher rank) added to its kernels.
   *
   * @param method the adapter the deltas come from, for the report
   */
  static InferenceSession merged(SavedModelInfo model, String signature, Map<String, float[][]> deltas,
      String method, BenchTask.Prepared prepared, DeviceOptions device) {
    return open(model, signature, deltas, method, BenchMode.MERGED, prepared, device);
  }

  private static InferenceSession open(SavedModelInfo model, String signature, Map<String, float[][]> deltas,
      String method, BenchMode mode, BenchTask.Prepared prepared, DeviceOptions device) {
    BenchSettings settings = prepared.settings();
    SaverDef saver = model.metaGraph().getSaverDef();
    if (saver.getRestoreOpName().isEmpty()) {
      throw new VbLoraException("the SavedModel at " + model.path() + " has no saver to restore its "
          + "weights with, which the merged and base measurements need; measure the training step alone (--mode "
          + "train)");
    }
    TensorSpec output = model.signature(signature).outputs().get(prepared.measuredOutput());
    Graph graph = new Graph();
    Session session = null;
    SyntheticBatch batch = null;
    try {
      graph.importGraphDef(model.metaGraph().getGraphDef());
      String sum = ScalarSum.add(graph, output.tensorName(), OUTPUT_SUM);
      Ops merge = Ops.create(graph).withSubScope("bench_merge");
      List<KernelUpdate> updates = kernelUpdates(merge, graph, deltas);
      session = new Session(graph, false, device.toConfigProto());
      try (TString prefix = TString.scalarOf(model.variablesPrefix().toString())) {
        session.runner().feed(saver.getFilenameTensorName(), prefix).addTarget(saver.getRestoreOpName())
            .run().close();
      }
      if (!updates.isEmpty()) {
        assign(session, updates, deltas);
      }
      batch = prepared.batch(model, signature, settings.seed());
      return new InferenceSession(method, mode, graph, session, batch, sum);
    } catch (RuntimeException e) {
      if (session != null) {
        session.close();
      }
      graph.close();
      throw e;
    }
  }

  /** One kernel's merge: feed its delta to {@code delta}, run {@code assign}. */
  private record KernelUpdate(String variable, Placeholder<TFloat32> delta, Op assign) {}

  private static List<KernelUpdate> kernelUpdates(Ops tf, Graph graph, Map<String, float[][]> deltas) {
    List<KernelUpdate> updates = new ArrayList<>();
    for (String name : deltas.keySet()) {
      GraphOperation variable = graph.operation(name);
      if (variable == null || !variable.type().equals("VarHandleOp")) {
        throw new VbLoraException("the base model has no resource variable '" + name
            + "' to merge the adapter's update into");
      }
      Placeholder<TFloat32> delta = tf.placeholder(TFloat32.class);
      // An Einsum kernel's delta is [d_in, d_out] in the kernel's row-major order: reshaped to the variable's shape.
      Operand<TFloat32> current = tf.readVariableOp(variable.output(0), TFloat32.class);
      updates.add(new KernelUpdate(name, delta,
          tf.assignAddVariableOp(variable.output(0), tf.reshape(delta, tf.shape(current)))));
    }
    return updates;
  }

  /** Feeds the deltas (host copies, closed right after) and runs every assignment once. */
  private static void assign(Session session, List<KernelUpdate> updates, Map<String, float[][]> deltas) {
    List<TFloat32> fed = new ArrayList<>();
    try {
      Session.Runner runner = session.runner();
      for (KernelUpdate update : updates) {
        TFloat32 value = TFloat32.tensorOf(StdArrays.ndCopyOf(deltas.get(update.variable())));
        fed.add(value);
        runner.feed(update.delta(), value).addTarget(update.assign());
      }
      runner.run().close();
    } finally {
      fed.forEach(TFloat32::close);
    }
  }

  /** The forward pass, fetching the sum of the measured output ({@link BenchTask#measuredOutput}). */
  TimedRun forward() {
    return new TimedRun(method, mode, batch.feed(session.runner()).fetch(outputSum));
  }

  @Override
  public void close() {
    try {
      session.close();
    } finally {
      if (batch != null) {
        batch.close();
      }
      graph.close();
    }
  }
}

package dev.finetune.vblora.model;

import java.util.List;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.types.TFloat32;

/**
 * Runs a rewrite test's graph: the float32 placeholder {@code p} fed, a tensor fetched, and the gradient of the sum
 * of {@code out} with respect to {@code p}, so that a rewritten graph's values and gradient can be set beside the
 * original's.
 */
final class FedGraph {
  private FedGraph() {}

  /** {@code fetch}'s values and d sum(out) / dp, with p fed as {@code values} of {@code shape}. */
  static List<float[]> valuesAndGradient(GraphDef graph, Shape shape, float[] values, String fetch) {
    try (Graph g = new Graph()) {
      g.importGraphDef(graph);
      Ops tf = Ops.create(g);
      Output<TFloat32> out = g.outputOrThrow("out:0").expect(TFloat32.class);
      Operand<TFloat32> loss = tf.reduceSum(tf.reshape(out, tf.constant(new int[] {-1})), tf.constant(0));
      Output<?>[] grads = g.addGradients(loss.asOutput(), new Output<?>[] {g.outputOrThrow("p:0")});
      try (Session s = new Session(g);
          TFloat32 p = TFloat32.tensorOf(shape, DataBuffers.of(values));
          Result r = s.runner().feed("p:0", p).fetch(fetch).fetch(grads[0]).run()) {
        return List.of(floats((TFloat32) r.get(0)), floats((TFloat32) r.get(1)));
      }
    }
  }

  static float[] floats(TFloat32 t) {
    float[] v = new float[(int) t.size()];
    t.asRawTensor().data().asFloats().read(v);
    return v;
  }
}

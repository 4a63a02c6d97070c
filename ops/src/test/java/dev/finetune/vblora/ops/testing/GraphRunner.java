package dev.finetune.vblora.ops.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.ndarray.buffer.DoubleDataBuffer;
import org.tensorflow.ndarray.buffer.FloatDataBuffer;
import org.tensorflow.ndarray.buffer.IntDataBuffer;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TNumber;
import org.tensorflow.types.family.TType;

/**
 * A graph plus a session for tests: inputs are placeholders whose values are plain {@code double[]} (row-major)
 * kept here and fed on every run, and fetched values come back as {@code double[]}. Values can be changed
 * between runs, which is what finite-difference checks need.
 *
 * <pre>{@code
 * try (GraphRunner g = new GraphRunner()) {
 *   Operand<TFloat64> x = g.input(TFloat64.class, new long[] {2, 3}, values);
 *   double[] y = g.run(g.tf().math.square(x));
 * }
 * }</pre>
 */
public final class GraphRunner implements AutoCloseable {
  private final Graph graph = new Graph();
  private final Ops tf = Ops.create(graph);
  private final Map<Operand<?>, Fed> inputs = new LinkedHashMap<>();
  private Session session;

  private record Fed(Class<? extends TType> type, long[] shape, double[] values) {}

  public Graph graph() {
    return graph;
  }

  public Ops tf() {
    return tf;
  }

  /** A placeholder of static shape {@code shape}, fed {@code values}. */
  public <T extends TNumber> Operand<T> input(Class<T> type, long[] shape, double[] values) {
    return input(type, shape, shape, values);
  }

  /**
   * A placeholder declared with {@code declaredShape} (-1 for sizes unknown while building the graph), fed
   * {@code values} of shape {@code valueShape}.
   */
  public <T extends TNumber> Operand<T> input(Class<T> type, long[] declaredShape, long[] valueShape, double[] values) {
    checkSize(valueShape, values);
    Operand<T> placeholder = tf.placeholder(type, Placeholder.shape(Shape.of(declaredShape)));
    inputs.put(placeholder, new Fed(type, valueShape.clone(), values.clone()));
    return placeholder;
  }

  /** A scalar TBool placeholder fed {@code value}. */
  public Operand<TBool> flag(boolean value) {
    Operand<TBool> placeholder = tf.placeholder(TBool.class, Placeholder.shape(Shape.scalar()));
    inputs.put(placeholder, new Fed(TBool.class, new long[0], new double[] {value ? 1 : 0}));
    return placeholder;
  }

  /** The values currently fed to {@code input} (a copy). */
  public double[] valuesOf(Operand<?> input) {
    return fed(input).values.clone();
  }

  /** Feeds {@code values} to {@code input} from the next run on. */
  public void set(Operand<?> input, double[] values) {
    Fed fed = fed(input);
    checkSize(fed.shape, values);
    inputs.put(input, new Fed(fed.type, fed.shape, values.clone()));
  }

  public void setFlag(Operand<TBool> flag, boolean value) {
    set(flag, new double[] {value ? 1 : 0});
  }

  /** Runs the graph and returns the fetched value, row-major. */
  public double[] run(Operand<?> fetch) {
    return run(List.of(fetch)).get(0);
  }

  /** Runs the graph once and returns every fetched value, row-major. */
  public List<double[]> run(List<? extends Operand<?>> fetches) {
    if (session == null) {
      session = new Session(graph);
    }
    List<Tensor> fed = new ArrayList<>();
    try {
      Session.Runner runner = session.runner();
      for (Map.Entry<Operand<?>, Fed> e : inputs.entrySet()) {
        Tensor t = toTensor(e.getValue());
        fed.add(t);
        runner.feed(e.getKey(), t);
      }
      fetches.forEach(runner::fetch);
      try (Result result = runner.run()) {
        List<double[]> values = new ArrayList<>();
        for (int i = 0; i < fetches.size(); i++) {
          values.add(toDoubles(result.get(i)));
        }
        return values;
      }
    } finally {
      fed.forEach(Tensor::close);
    }
  }

  /** The static shape TF inferred for {@code operand}, -1 for unknown sizes. */
  public static long[] staticShape(Operand<?> operand) {
    return operand.shape().asArray();
  }

  @Override
  public void close() {
    if (session != null) {
      session.close();
    }
    graph.close();
  }

  private Fed fed(Operand<?> input) {
    Fed fed = inputs.get(input);
    if (fed == null) {
      throw new IllegalArgumentException(input + " is not an input of this GraphRunner");
    }
    return fed;
  }

  private static void checkSize(long[] shape, double[] values) {
    long size = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
    if (size != values.length) {
      throw new IllegalArgumentException(values.length + " values do not fill shape " + Arrays.toString(shape));
    }
  }

  private static Tensor toTensor(Fed fed) {
    Shape shape = Shape.of(fed.shape);
    double[] v = fed.values;
    if (fed.type == TFloat64.class) {
      return TFloat64.tensorOf(shape, DataBuffers.of(v));
    }
    if (fed.type == TFloat32.class) {
      float[] f = new float[v.length];
      for (int i = 0; i < v.length; i++) {
        f[i] = (float) v[i];
      }
      return TFloat32.tensorOf(shape, DataBuffers.of(f));
    }
    if (fed.type == TBool.class) {
      return TBool.scalarOf(v[0] != 0);
    }
    throw new IllegalArgumentException("GraphRunner feeds TFloat32, TFloat64 and TBool, not " + fed.type.getSimpleName());
  }

  /** A fetched TFloat32, TFloat64 or TInt32 tensor as doubles, row-major. */
  public static double[] toDoubles(Tensor t) {
    int n = Math.toIntExact(t.shape().size());
    double[] out = new double[n];
    if (t instanceof TFloat64 d) {
      DoubleDataBuffer buffer = DataBuffers.ofDoubles(n);
      d.copyTo(buffer);
      buffer.read(out);
    } else if (t instanceof TFloat32 f) {
      FloatDataBuffer buffer = DataBuffers.ofFloats(n);
      f.copyTo(buffer);
      for (int i = 0; i < n; i++) {
        out[i] = buffer.getFloat(i);
      }
    } else if (t instanceof TInt32 ints) {
      IntDataBuffer buffer = DataBuffers.ofInts(n);
      ints.copyTo(buffer);
      for (int i = 0; i < n; i++) {
        out[i] = buffer.getInt(i);
      }
    } else {
      throw new IllegalArgumentException("cannot read a " + t.dataType() + " tensor as doubles");
    }
    return out;
  }
}

package dev.finetune.vblora.ops.bench;

import dev.finetune.vblora.ops.FusedFactorComposition;
import dev.finetune.vblora.ops.LayerLogits;
import dev.finetune.vblora.ops.LayerShape;
import dev.finetune.vblora.ops.LowRankFactors;
import dev.finetune.vblora.ops.PerLayerFactorComposition;
import dev.finetune.vblora.ops.VbLoraDims;
import dev.finetune.vblora.ops.VbLoraInit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.VarHandleOp;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;

/**
 * Times VB-LoRA's factor composition for a whole model, {@link FusedFactorComposition} against
 * {@link PerLayerFactorComposition}, in one graph and one session: both variants read the same bank and logits
 * variables, are warmed up, then run interleaved (alternating which goes first) so that both see the same
 * machine load; medians are reported. Forward = every layer's down and up; forward+backward adds the gradient
 * of their sum with respect to the bank and all logits. Each run fetches one scalar checksum (the sum of every
 * factor, or of every gradient), the same extra reduction for both variants. "Graph ops" counts the ops each
 * composition adds to the graph (constants included), the per-run executor work that fusing removes.
 */
public final class CompositionBenchmark {
  private CompositionBenchmark() {}

  /**
   * @param dims adapter sizes
   * @param layers the adapted kernels
   * @param warmup untimed runs of each variant first
   * @param iterations timed runs of each variant
   * @param backward also time forward+backward
   * @param threads TF intra- and inter-op threads; 0 leaves TF's default
   * @param seed initial values of the bank and logits
   */
  public record Options(VbLoraDims dims, List<LayerShape> layers, int warmup, int iterations, boolean backward,
      int threads, long seed) {

    public Options {
      Objects.requireNonNull(dims, "dims");
      layers = List.copyOf(layers);
      if (layers.isEmpty()) {
        throw new IllegalArgumentException("the benchmark needs at least one layer");
      }
      layers.forEach(dims::checkDivisible);
      if (warmup < 0 || iterations < 1 || threads < 0) {
        throw new IllegalArgumentException("warmup " + warmup + ", iterations " + iterations + ", threads " + threads
            + ": need warmup >= 0, iterations >= 1, threads >= 0");
      }
    }

    /** BERT-base, every linear map of every encoder layer, the paper's GLUE sizes h=90, b=256, r=4, k=2. */
    public static Options bertBaseAllLinear() {
      return new Options(new VbLoraDims(90, 256, 4, 2), BertBaseLayers.allLinear(), 20, 100, true, 0, 42);
    }

    public Options withRuns(int warmupRuns, int timedRuns) {
      return new Options(dims, layers, warmupRuns, timedRuns, backward, threads, seed);
    }

    public Options withBackward(boolean timeBackward) {
      return new Options(dims, layers, warmup, iterations, timeBackward, threads, seed);
    }

    public Options withThreads(int tfThreads) {
      return new Options(dims, layers, warmup, iterations, backward, tfThreads, seed);
    }
  }

  /** Run times of one variant, in milliseconds. */
  public record Timing(double medianMs, double minMs, double maxMs) {
    static Timing of(long[] nanos) {
      long[] sorted = nanos.clone();
      Arrays.sort(sorted);
      int n = sorted.length;
      double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
      return new Timing(median / 1e6, sorted[0] / 1e6, sorted[n - 1] / 1e6);
    }
  }

  /**
   * @param subVectors rows of logits composed per run (sum over layers of r (in + out) / b)
   * @param fusedOps graph ops the fused composition adds; perLayerOps likewise
   * @param fusedBackward null unless options.backward(); perLayerBackward likewise
   */
  public record Result(Options options, long subVectors, int fusedOps, int perLayerOps, Timing fusedForward,
      Timing perLayerForward, Timing fusedBackward, Timing perLayerBackward) {

    /** per-layer median / fused median: how many times faster the fused forward is. */
    public double forwardSpeedup() {
      return perLayerForward.medianMs() / fusedForward.medianMs();
    }

    /** Same for forward+backward; NaN when it was not timed. */
    public double backwardSpeedup() {
      return fusedBackward == null ? Double.NaN : perLayerBackward.medianMs() / fusedBackward.medianMs();
    }
  }

  public static Result run(Options options) {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Inputs inputs = Inputs.create(tf, options);
      Variant fused = Variant.build(graph, "fused", options.backward(), inputs,
          () -> FusedFactorComposition.compose(tf.withSubScope("fused"), inputs.bank, inputs.logits, options.dims()));
      Variant perLayer = Variant.build(graph, "per_layer", options.backward(), inputs,
          () -> PerLayerFactorComposition.compose(tf.withSubScope("per_layer"), inputs.bank, inputs.logits,
              options.dims()));
      try (Session session = new Session(graph, config(options.threads()))) {
        inputs.initialize(session);
        Timing[] forward = timeInterleaved(session, fused.forward, perLayer.forward, options);
        Timing[] backward = options.backward()
            ? timeInterleaved(session, fused.backward, perLayer.backward, options) : new Timing[2];
        long subVectors = options.layers().stream().mapToLong(options.dims()::subVectorCount).sum();
        return new Result(options, subVectors, fused.opCount, perLayer.opCount, forward[0], forward[1],
            backward[0], backward[1]);
      }
    }
  }

  /** Prints the BERT-base all-linear comparison; {@code --warmup N --iterations N --threads N --no-backward}. */
  public static void main(String[] args) {
    Options options = Options.bertBaseAllLinear();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--warmup" -> options = options.withRuns(Integer.parseInt(args[++i]), options.iterations());
        case "--iterations" -> options = options.withRuns(options.warmup(), Integer.parseInt(args[++i]));
        case "--threads" -> options = options.withThreads(Integer.parseInt(args[++i]));
        case "--no-backward" -> options = options.withBackward(false);
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + "; use --warmup N --iterations N --threads N --no-backward");
      }
    }
    System.out.print(format(run(options)));
  }

  /** The result as a small text table. */
  public static String format(Result r) {
    Options o = r.options();
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "Factor composition: %d layers, %d sub-vectors, h=%d b=%d r=%d k=%d, float32,"
            + " %d warm-up + %d timed runs each, interleaved%n", o.layers().size(), r.subVectors(),
        o.dims().numVectors(), o.dims().vectorLength(), o.dims().rank(), o.dims().topk(), o.warmup(), o.iterations()));
    s.append(String.format(Locale.ROOT, "%-10s %10s %22s %22s%n", "variant", "graph ops", "forward ms med (min)",
        "fwd+bwd ms med (min)"));
    row(s, "per-layer", r.perLayerOps(), r.perLayerForward(), r.perLayerBackward());
    row(s, "fused", r.fusedOps(), r.fusedForward(), r.fusedBackward());
    s.append(String.format(Locale.ROOT, "%-10s %10s %22s %22s%n", "speed-up", "",
        String.format(Locale.ROOT, "%.2fx", r.forwardSpeedup()),
        r.fusedBackward() == null ? "-" : String.format(Locale.ROOT, "%.2fx", r.backwardSpeedup())));
    return s.toString();
  }

  private static void row(StringBuilder s, String name, int ops, Timing forward, Timing backward) {
    s.append(String.format(Locale.ROOT, "%-10s %10d %22s %22s%n", name, ops, cell(forward), cell(backward)));
  }

  private static String cell(Timing t) {
    return t == null ? "-" : String.format(Locale.ROOT, "%.3f (%.3f)", t.medianMs(), t.minMs());
  }

  private static Timing[] timeInterleaved(Session session, Operand<TFloat32> a, Operand<TFloat32> b,
      Options options) {
    for (int i = 0; i < options.warmup(); i++) {
      timeOnce(session, a);
      timeOnce(session, b);
    }
    long[] aNanos = new long[options.iterations()];
    long[] bNanos = new long[options.iterations()];
    for (int i = 0; i < options.iterations(); i++) {
      // Alternate which variant goes first, so neither always runs in the other's cache wake.
      if (i % 2 == 0) {
        aNanos[i] = timeOnce(session, a);
        bNanos[i] = timeOnce(session, b);
      } else {
        bNanos[i] = timeOnce(session, b);
        aNanos[i] = timeOnce(session, a);
      }
    }
    return new Timing[] {Timing.of(aNanos), Timing.of(bNanos)};
  }

  private static long timeOnce(Session session, Operand<TFloat32> checksum) {
    long start = System.nanoTime();
    try (org.tensorflow.Result fetched = session.runner().fetch(checksum).run()) {
      long elapsed = System.nanoTime() - start;
      float value = ((TFloat32) fetched.get(0)).getFloat();
      if (!Float.isFinite(value)) {
        throw new IllegalStateException("the composition produced a non-finite checksum " + value);
      }
      return elapsed;
    }
  }

  private static ConfigProto config(int threads) {
    ConfigProto.Builder config = ConfigProto.newBuilder();
    if (threads > 0) {
      config.setIntraOpParallelismThreads(threads).setInterOpParallelismThreads(threads);
    }
    return config.build();
  }

  /** The bank and every layer's logits as resource variables, read once and shared by both variants. */
  private static final class Inputs {
    final Operand<TFloat32> bank;
    final List<LayerLogits<TFloat32>> logits = new ArrayList<>();
    final List<Op> initializers = new ArrayList<>();
    final List<Output<?>> trainable = new ArrayList<>();

    private Inputs(Ops tf, Options o) {
      VbLoraDims dims = o.dims();
      bank = variable(tf, "vector_bank", VbLoraInit.bank(tf, dims, 0.02, o.seed(), TFloat32.class));
      for (int i = 0; i < o.layers().size(); i++) {
        LayerShape s = o.layers().get(i);
        Operand<TFloat32> a = variable(tf, "logits_A_" + i,
            VbLoraInit.logitsA(tf, s, dims, 0.1, o.seed(), TFloat32.class));
        Operand<TFloat32> b = variable(tf, "logits_B_" + i,
            VbLoraInit.logitsB(tf, s, dims, 0.1, o.seed(), TFloat32.class));
        logits.add(new LayerLogits<>(s, a, b));
      }
    }

    static Inputs create(Ops tf, Options o) {
      return new Inputs(tf, o);
    }

    private Operand<TFloat32> variable(Ops tf, String name, Operand<TFloat32> init) {
      Shape shape = init.shape();
      VarHandleOp handle = tf.withName(name).varHandleOp(TFloat32.class, shape, VarHandleOp.sharedName(name));
      initializers.add(tf.assignVariableOp(handle, init));
      Operand<TFloat32> read = tf.withName(name + "_read").readVariableOp(handle, TFloat32.class);
      trainable.add(read.asOutput());
      return read;
    }

    void initialize(Session session) {
      Session.Runner runner = session.runner();
      initializers.forEach(runner::addTarget);
      runner.run().close();
    }
  }

  /**
   * One composition variant: a scalar checksum of every factor, and one of every gradient. Fetching a value
   * matters: grappler's dependency optimizer drops stateless work whose outputs feed only control edges, so
   * a NoOp target with control dependencies on the factors would time nothing.
   */
  private static final class Variant {
    Operand<TFloat32> forward;
    Operand<TFloat32> backward;
    int opCount;

    static Variant build(Graph graph, String name, boolean withBackward, Inputs inputs,
        Supplier<List<LowRankFactors<TFloat32>>> compose) {
      Ops tf = Ops.create(graph);
      Variant v = new Variant();
      int before = countOps(graph);
      List<LowRankFactors<TFloat32>> factors = compose.get();
      v.opCount = countOps(graph) - before;
      List<Operand<TFloat32>> outputs = new ArrayList<>();
      for (LowRankFactors<TFloat32> f : factors) {
        outputs.add(f.down());
        outputs.add(f.up());
      }
      v.forward = checksum(tf.withSubScope(name + "_forward_checksum"), outputs);
      if (withBackward) {
        // dy = ones: the gradient of the sum of every factor entry, enough to run the whole backward pass.
        Output<?>[] ys = outputs.stream().map(Operand::asOutput).toArray(Output<?>[]::new);
        Output<?>[] grads = graph.addGradients(name + "_gradients", ys,
            inputs.trainable.toArray(new Output<?>[0]), null);
        List<Operand<TFloat32>> gradients = new ArrayList<>();
        for (Output<?> g : grads) {
          gradients.add(g.expect(TFloat32.class));
        }
        v.backward = checksum(tf.withSubScope(name + "_backward_checksum"), gradients);
      }
      return v;
    }

    private static Operand<TFloat32> checksum(Ops tf, List<Operand<TFloat32>> tensors) {
      List<Operand<TFloat32>> sums = new ArrayList<>();
      for (Operand<TFloat32> t : tensors) {
        sums.add(tf.sum(t, tf.range(tf.constant(0), tf.rank(t), tf.constant(1))));
      }
      return tf.math.addN(sums);
    }

    private static int countOps(Graph graph) {
      int n = 0;
      for (Iterator<?> it = graph.operations(); it.hasNext(); it.next()) {
        n++;
      }
      return n;
    }
  }
}

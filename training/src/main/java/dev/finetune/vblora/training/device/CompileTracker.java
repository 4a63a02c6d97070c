package dev.finetune.vblora.training.device;

import dev.finetune.vblora.model.XlaLaunchStep;
import dev.finetune.vblora.training.timing.Phase;
import dev.finetune.vblora.training.timing.RunClock;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.proto.RunOptions.TraceLevel;

/**
 * Makes a run's session calls and counts the XLA compilations they cause, from what TensorFlow itself reports.
 *
 * <p>XLA compiles a cluster when it first runs with new input shapes (with lazy compilation off, see {@link
 * XlaCompilationMode}, on that very call). So the first call of each kind (e.g. "train", "predict") with a batch
 * shape it has not had before is made with tracing on (SOFTWARE_TRACE, partition graphs), and every
 * {@code _XlaCompile} op in its step stats that ran for at least {@link #LOOKUP_NANOS} counts as one
 * compilation, with that op's time, as does every whole-step XLA call (see {@link XlaLaunchStep}), whose first
 * call compiles. A compiled shape only looks its executable up: the traced steps of
 * docs/benchmarks.md show that lookup at 0.12-0.4 ms, so the threshold separates the two. Later calls of a
 * known shape run untraced, as fast as before. With a persistent compilation cache ({@link XlaCompileCache}),
 * a compilation that wrote no new cache file was a load from the cache.
 *
 * <p>Not thread-safe: one loop makes the calls. {@link #takeCompilations()} hands over what was counted since
 * the last take, so that the caller can book it to the phase that made the call.
 */
public final class CompileTracker {
  /** An {@code _XlaCompile} that ran this long or longer compiled (or loaded) an executable. */
  public static final long LOOKUP_NANOS = 1_000_000;

  private final Set<String> seen = new HashSet<>();
  private final Optional<Path> cache;
  private int count;
  private int fromCache;
  private long nanos;

  public CompileTracker(Optional<Path> persistentCache) {
    this.cache = persistentCache;
  }

  /** A tracker for this process's persistent cache, if TF_XLA_FLAGS names one. */
  public static CompileTracker forThisProcess() {
    return new CompileTracker(XlaCompileCache.directory());
  }

  /** Compilations counted since the last take (and their time). */
  public record Compilations(int count, int fromCache, long nanos) {
    public static final Compilations NONE = new Compilations(0, 0, 0);
  }

  /**
   * Runs {@code runner}: traced when this {@code kind} has not run with {@code shape} before (the shape of its
   * batch, e.g. {rows, length}), plainly otherwise. The caller closes the result.
   */
  public Result run(Session.Runner runner, String kind, long... shape) {
    if (!seen.add(key(kind, shape))) {
      return runner.run();
    }
    long entriesBefore = XlaCompileCache.entries(cache);
    runner.setOptions(RunOptions.newBuilder().setTraceLevel(TraceLevel.SOFTWARE_TRACE)
        .setOutputPartitionGraphs(true).build());
    Result result = runner.runAndFetchMetadata();
    runner.setOptions(RunOptions.getDefaultInstance());
    Compilations found = compilationsIn(result.getMetadata().orElse(RunMetadata.getDefaultInstance()));
    long written = XlaCompileCache.entries(cache) - entriesBefore;
    count += found.count();
    nanos += found.nanos();
    if (cache.isPresent()) {
      fromCache += (int) Math.max(0, found.count() - written);
    }
    return result;
  }

  /**
   * Takes {@code kind} with {@code shape} as known (its compilation is counted elsewhere, e.g. by a tracker of
   * another thread), so that its calls here run untraced.
   */
  public void markSeen(String kind, long... shape) {
    seen.add(key(kind, shape));
  }

  /** Takes {@code kind} with {@code shape} as not run yet: its next call is traced and its compilations counted. */
  public void forget(String kind, long... shape) {
    seen.remove(key(kind, shape));
  }

  /**
   * Books what was counted since the last take to {@code clock}, as compilations that ran inside the time of
   * {@code phase} (see {@link RunClock#compiled}); returns it.
   */
  public Compilations bookTo(RunClock clock, Phase phase) {
    Compilations taken = takeCompilations();
    clock.compiled(phase, taken.count(), taken.fromCache(), taken.nanos());
    return taken;
  }

  /** What was counted since the last call, then zero. */
  public Compilations takeCompilations() {
    Compilations taken = new Compilations(count, fromCache, nanos);
    count = 0;
    fromCache = 0;
    nanos = 0;
    return taken;
  }

  private static String key(String kind, long... shape) {
    StringBuilder key = new StringBuilder(kind);
    for (long d : shape) {
      key.append('x').append(d);
    }
    return key.toString();
  }

  /**
   * The compilations of a traced call: its {@code _XlaCompile} executions that compiled (see {@link
   * #LOOKUP_NANOS}), and its whole-step XlaLaunch calls (nodes marked {@code _XlaMustCompile}, see {@link
   * dev.finetune.vblora.model.XlaLaunchStep}). Such a call compiles and runs in one op, so its time includes the
   * step; it is counted on every traced call, which is a first call of its shape (a compilation, or a load from
   * the persistent cache).
   */
  static Compilations compilationsIn(RunMetadata metadata) {
    Map<String, String> opOfNode = new HashMap<>();
    Set<String> compiledCalls = new HashSet<>();
    for (GraphDef partition : metadata.getPartitionGraphsList()) {
      for (NodeDef node : partition.getNodeList()) {
        opOfNode.put(node.getName(), node.getOp());
        if (XlaLaunchStep.isCompiledCall(node)) {
          compiledCalls.add(node.getName());
        }
      }
    }
    int count = 0;
    long nanos = 0;
    for (DeviceStepStats device : metadata.getStepStats().getDevStatsList()) {
      for (NodeExecStats node : device.getNodeStatsList()) {
        long took = StepProfile.duration(node);
        boolean compiled = StepProfile.opType(node, opOfNode).equals("_XlaCompile") && took >= LOOKUP_NANOS;
        if (compiled || compiledCalls.contains(node.getNodeName())) {
          count++;
          nanos += took;
        }
      }
    }
    return new Compilations(count, 0, nanos);
  }
}

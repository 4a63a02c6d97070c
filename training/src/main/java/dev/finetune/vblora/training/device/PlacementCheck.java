package dev.finetune.vblora.training.device;

import dev.finetune.vblora.model.XlaLaunchStep;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.proto.AllocatorMemoryUsed;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.RunOptions;

/**
 * Proves where a step runs: one extra run of a prepared runner with partition graphs and step stats
 * requested, turned into a {@link PlacementReport}. On a GPU, a training step whose report lists no host
 * compute ops and only the transfers of the fed inputs and the fetched loss makes no host round trips.
 *
 * <p>Partition graphs hold the device every op was placed on after Grappler and XLA clustering, so they are
 * exact; step stats (SOFTWARE_TRACE, which needs no CUPTI) add the allocators' bytes in use.
 */
public final class PlacementCheck {
  /** Ops that move or hold data at the edges of a partition rather than compute. */
  private static final Set<String> BOOKKEEPING = Set.of("_Arg", "_Retval", "_Send", "_Recv", "_HostSend",
      "_HostRecv", "NoOp", "Const", "HostConst", "_SOURCE", "_SINK", "Identity", "VarHandleOp",
      "_XlaCompile", "_XlaMerge", "Switch", "Merge");

  private PlacementCheck() {}

  /**
   * Runs {@code runner} once more with tracing on and reports the placement. The runner keeps its feeds,
   * fetches and targets; its run options are replaced.
   */
  public static PlacementReport trace(Session.Runner runner) {
    runner.setOptions(RunOptions.newBuilder()
        .setTraceLevel(RunOptions.TraceLevel.SOFTWARE_TRACE)
        .setOutputPartitionGraphs(true)
        .build());
    try (Result result = runner.runAndFetchMetadata()) {
      RunMetadata metadata = result.getMetadata().orElseThrow(() ->
          new IllegalStateException("TensorFlow returned no run metadata for a traced run"));
      return of(metadata);
    } finally {
      runner.setOptions(RunOptions.getDefaultInstance());
    }
  }

  /**
   * Runs {@code runner} once more with FULL_TRACE (on a GPU: the kernels' device times, through CUPTI) and
   * returns where the step's time went. The runner keeps its feeds, fetches and targets.
   */
  public static StepProfile profile(Session.Runner runner) {
    runner.setOptions(RunOptions.newBuilder()
        .setTraceLevel(RunOptions.TraceLevel.FULL_TRACE)
        .setOutputPartitionGraphs(true)
        .build());
    try (Result result = runner.runAndFetchMetadata()) {
      return StepProfile.of(result.getMetadata().orElseThrow(() ->
          new IllegalStateException("TensorFlow returned no run metadata for a traced run")));
    } finally {
      runner.setOptions(RunOptions.getDefaultInstance());
    }
  }

  /** The report of a run's metadata (which must include partition graphs). */
  public static PlacementReport of(RunMetadata metadata) {
    Map<String, Integer> perDevice = new TreeMap<>();
    List<NodeDef> nodes = new ArrayList<>();
    for (GraphDef partition : metadata.getPartitionGraphsList()) {
      for (NodeDef node : partition.getNodeList()) {
        perDevice.merge(node.getDevice(), 1, Integer::sum);
        nodes.add(node);
      }
    }
    boolean gpu = perDevice.keySet().stream().anyMatch(PlacementReport::isGpu);
    List<String> hostCompute = new ArrayList<>();
    int sends = 0;
    int xla = 0;
    int reduced = 0;
    for (NodeDef node : nodes) {
      if (node.getAttrMap().values().stream().anyMatch(PlacementCheck::isReducedPrecision)) {
        reduced++;
      }
      String op = node.getOp();
      if (op.equals("_Send") || op.equals("_HostSend")) {
        sends++;
      }
      if (op.equals("_XlaRun") || XlaLaunchStep.isCompiledCall(node)) {
        xla++;
      }
      if (gpu && PlacementReport.isCpu(node.getDevice()) && !BOOKKEEPING.contains(op)) {
        hostCompute.add(node.getName() + " (" + op + ")");
      }
    }
    return new PlacementReport(perDevice, hostCompute, sends, xla, allocatorPeaks(metadata), reduced);
  }

  private static boolean isReducedPrecision(AttrValue value) {
    return value.getType() == DataType.DT_HALF || value.getType() == DataType.DT_BFLOAT16;
  }

  private static Map<String, Long> allocatorPeaks(RunMetadata metadata) {
    Map<String, Long> peaks = new TreeMap<>();
    for (DeviceStepStats device : metadata.getStepStats().getDevStatsList()) {
      for (NodeExecStats node : device.getNodeStatsList()) {
        for (AllocatorMemoryUsed memory : node.getMemoryList()) {
          if (memory.getAllocatorBytesInUse() > 0) {
            peaks.merge(memory.getAllocatorName(), memory.getAllocatorBytesInUse(), Math::max);
          }
        }
      }
    }
    return peaks;
  }
}

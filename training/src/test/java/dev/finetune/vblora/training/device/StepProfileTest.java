package dev.finetune.vblora.training.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.StepStats;

/** Step stats of a traced run summed per op type and device, GPU streams preferred to the executor's entries. */
class StepProfileTest {
  private static final String EXECUTOR_GPU = "/job:localhost/replica:0/task:0/device:GPU:0";
  private static final String ALL_STREAMS = "/device:GPU:0/stream:all";
  private static final String STREAM_7 = "/device:GPU:0/stream:7";

  private static NodeExecStats node(String name, long startMicros, long micros) {
    return NodeExecStats.newBuilder().setNodeName(name).setAllStartMicros(startMicros).setAllEndRelMicros(micros)
        .build();
  }

  private static DeviceStepStats device(String name, NodeExecStats... nodes) {
    return DeviceStepStats.newBuilder().setDevice(name).addAllNodeStats(List.of(nodes)).build();
  }

  private static NodeDef graphNode(String name, String op) {
    return NodeDef.newBuilder().setName(name).setOp(op).build();
  }

  @Test
  void onAGpuTheKernelsOfAllStreamsCountAndTheLaunchesDoNot() {
    RunMetadata metadata = RunMetadata.newBuilder()
        .addPartitionGraphs(GraphDef.newBuilder().addNode(graphNode("layer_0/query/MatMul", "MatMul"))
            .addNode(graphNode("layer_1/query/MatMul", "MatMul")).addNode(graphNode("softmax", "Softmax")))
        .setStepStats(StepStats.newBuilder()
            .addDevStats(device(EXECUTOR_GPU, node("layer_0/query/MatMul", 0, 2), node("softmax", 3, 1)))
            .addDevStats(device(ALL_STREAMS, node("layer_0/query/MatMul:MatMul", 10, 40),
                node("layer_1/query/MatMul:MatMul", 50, 30), node("softmax:Softmax", 90, 10)))
            .addDevStats(device(STREAM_7, node("layer_0/query/MatMul:MatMul", 10, 40))))
        .build();
    StepProfile profile = StepProfile.of(metadata);
    assertEquals(List.of(ALL_STREAMS), profile.devices());
    assertEquals("gpu streams", profile.source());
    assertEquals(90_000, profile.spanNanos(), "10 us to 90 + 10 us");
    assertEquals(80_000, profile.opNanos());
    assertEquals(List.of(new StepProfile.OpTime("MatMul", ALL_STREAMS, 70_000, 2, 70.0 / 80),
        new StepProfile.OpTime("Softmax", ALL_STREAMS, 10_000, 1, 10.0 / 80)), profile.ops());
  }

  @Test
  void withoutStreamEntriesTheExecutorsTimesCountAndTypesComeFromTheGraphOrTheLabel() {
    String cpu = "/job:localhost/replica:0/task:0/device:CPU:0";
    RunMetadata metadata = RunMetadata.newBuilder()
        .addPartitionGraphs(GraphDef.newBuilder().addNode(graphNode("dense/MatMul", "MatMul")))
        .setStepStats(StepStats.newBuilder().addDevStats(device(cpu, node("dense/MatMul", 100, 6),
            NodeExecStats.newBuilder().setNodeName("gelu/Erf").setTimelineLabel("gelu/Erf = Erf(dense/BiasAdd)")
                .setAllStartMicros(103).setOpStartRelMicros(1).setOpEndRelMicros(4).build())))
        .build();
    StepProfile profile = StepProfile.of(metadata);
    assertEquals("executor", profile.source());
    assertEquals(List.of(cpu), profile.devices());
    assertEquals(6_000, profile.spanNanos(), "both end at 106 us");
    assertEquals(List.of(new StepProfile.OpTime("MatMul", cpu, 6_000, 1, 6.0 / 9),
        new StepProfile.OpTime("Erf", cpu, 3_000, 1, 3.0 / 9)), profile.ops());
  }

  /**
   * Under XLA every kernel of the step belongs to one _XlaRun op: the kernels are told apart by their trace
   * labels, and the gaps between them (launch waits, host round trips) show as span minus busy time.
   */
  @Test
  void underXlaTheKernelsAreListedByLabelAndIdleGapsShowAsSpanMinusBusy() {
    RunMetadata metadata = RunMetadata.newBuilder()
        .addPartitionGraphs(GraphDef.newBuilder().addNode(graphNode("cluster_0_1/xla_run", "_XlaRun")))
        .setStepStats(StepStats.newBuilder().addDevStats(device(ALL_STREAMS,
            kernel("cluster_0_1/xla_run:_XlaRun", "sm90_xmma_gemm_f32f32", 0, 50),
            kernel("cluster_0_1/xla_run:_XlaRun", "loop_add_fusion", 40, 20),
            kernel("cluster_0_1/xla_run:_XlaRun", "sm90_xmma_gemm_f32f32", 100, 30)))
            .addDevStats(device(EXECUTOR_GPU, node("cluster_0_1/xla_compile", 0, 5),
                node("cluster_0_1/xla_run", 20, 15))))
        .build();
    StepProfile profile = StepProfile.of(metadata);
    assertEquals(List.of(new StepProfile.OpTime("_XlaRun", ALL_STREAMS, 100_000, 3, 1.0)), profile.ops());
    assertEquals(List.of(new StepProfile.OpTime("sm90_xmma_gemm_f32f32", ALL_STREAMS, 80_000, 2, 0.8),
        new StepProfile.OpTime("loop_add_fusion", ALL_STREAMS, 20_000, 1, 0.2)), profile.kernels());
    assertEquals(130_000, profile.spanNanos());
    assertEquals(90_000, profile.busyNanos(), "0-60 us and 100-130 us; the overlap of 40-50 us counts once");
    assertEquals(List.of("sm90_xmma_gemm_f32f32", "cluster_0_1/xla_compile", "cluster_0_1/xla_run",
        "loop_add_fusion", "sm90_xmma_gemm_f32f32"), profile.entries().stream()
            .map(e -> e.label().isEmpty() ? e.node() : e.label()).toList(),
        "every device's entries, the executor's host-side ones too, in start order");
  }

  private static NodeExecStats kernel(String node, String label, long startMicros, long micros) {
    return node(node, startMicros, micros).toBuilder().setTimelineLabel(label).build();
  }
}

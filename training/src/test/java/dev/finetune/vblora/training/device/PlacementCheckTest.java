package dev.finetune.vblora.training.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.AllocatorMemoryUsed;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.StepStats;
import org.tensorflow.types.TFloat32;

class PlacementCheckTest {
  private static final String CPU = "/job:localhost/replica:0/task:0/device:CPU:0";
  private static final String GPU = "/job:localhost/replica:0/task:0/device:GPU:0";

  @Test
  void aCpuRunPlacesEveryOpOnTheCpuAndFlagsNothing() {
    try (Graph graph = new Graph()) {
      Ops tf = Ops.create(graph);
      Placeholder<TFloat32> x = tf.placeholder(TFloat32.class);
      Operand<TFloat32> sum = tf.reduceSum(tf.math.tanh(tf.linalg.matMul(x, x)), tf.constant(new int[] {0, 1}));
      try (Session session = new Session(graph, DeviceOptions.cpu().toConfigProto());
          TFloat32 value = TFloat32.tensorOf(Shape.of(4, 4))) {
        PlacementReport report = PlacementCheck.trace(session.runner().feed(x, value).fetch(sum));
        assertEquals(List.of(CPU), List.copyOf(report.opsPerDevice().keySet()));
        assertTrue(report.opsPerDevice().get(CPU) >= 4, report.toString());
        assertFalse(report.usedGpu());
        assertTrue(report.hostComputeOps().isEmpty());
        assertEquals(0, report.transfers());
        assertEquals(0, report.xlaClusters());
        assertEquals(0, report.reducedPrecisionOps());
      }
    }
  }

  @Test
  void onAGpuRunHostComputeOpsTransfersClustersAndAllocatorPeaksAreReported() {
    RunMetadata metadata = RunMetadata.newBuilder()
        .addPartitionGraphs(GraphDef.newBuilder()
            .addNode(node("input", "_Arg", CPU))
            .addNode(node("send_input", "_Send", CPU))
            .addNode(node("recv_loss", "_Recv", CPU))
            .addNode(node("unique", "Unique", CPU)))
        .addPartitionGraphs(GraphDef.newBuilder()
            .addNode(node("recv_input", "_Recv", GPU))
            .addNode(node("cluster_0/xla_run", "_XlaRun", GPU))
            .addNode(node("loss", "Sum", GPU))
            .addNode(node("matmul", "MatMul", GPU).toBuilder()
                .putAttr("T", AttrValue.newBuilder().setType(DataType.DT_HALF).build()).build())
            .addNode(node("send_loss", "_Send", GPU)))
        .setStepStats(StepStats.newBuilder().addDevStats(DeviceStepStats.newBuilder().setDevice(GPU)
            .addNodeStats(stats("loss", "GPU_0_bfc", 3L << 20))
            .addNodeStats(stats("cluster_0/xla_run", "GPU_0_bfc", 5L << 20))))
        .build();
    PlacementReport report = PlacementCheck.of(metadata);
    assertEquals(Map.of(CPU, 4, GPU, 5), report.opsPerDevice());
    assertEquals(1, report.reducedPrecisionOps());
    assertEquals(List.of("unique (Unique)"), report.hostComputeOps());
    assertEquals(2, report.transfers());
    assertEquals(1, report.xlaClusters());
    assertEquals(5L << 20, report.gpuAllocatorPeakBytes());
    assertTrue(report.usedGpu());
  }

  private static NodeDef node(String name, String op, String device) {
    return NodeDef.newBuilder().setName(name).setOp(op).setDevice(device).build();
  }

  private static NodeExecStats stats(String node, String allocator, long inUse) {
    return NodeExecStats.newBuilder().setNodeName(node)
        .addMemory(AllocatorMemoryUsed.newBuilder().setAllocatorName(allocator).setAllocatorBytesInUse(inUse))
        .build();
  }
}

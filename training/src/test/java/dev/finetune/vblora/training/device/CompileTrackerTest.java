package dev.finetune.vblora.training.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;
import org.tensorflow.proto.StepStats;

/** What counts as an XLA compilation in a traced call's step stats, and where the persistent cache is. */
class CompileTrackerTest {

  private static NodeExecStats node(String name, long nanos) {
    return NodeExecStats.newBuilder().setNodeName(name).setAllStartNanos(1).setAllEndRelNanos(nanos).build();
  }

  @Test
  void everyXlaCompileOfAMillisecondOrMoreIsOneCompilationWithItsTime() {
    GraphDef partition = GraphDef.newBuilder()
        .addNode(NodeDef.newBuilder().setName("cluster_0_1/xla_compile").setOp("_XlaCompile"))
        .addNode(NodeDef.newBuilder().setName("cluster_1_1/xla_compile").setOp("_XlaCompile"))
        .addNode(NodeDef.newBuilder().setName("cluster_2_1/xla_compile").setOp("_XlaCompile"))
        .addNode(NodeDef.newBuilder().setName("cluster_0_1/xla_run").setOp("_XlaRun"))
        .build();
    RunMetadata metadata = RunMetadata.newBuilder().addPartitionGraphs(partition)
        .setStepStats(StepStats.newBuilder().addDevStats(DeviceStepStats.newBuilder().setDevice("/device:GPU:0")
            .addNodeStats(node("cluster_0_1/xla_compile", 4_200_000_000L)) // compiled
            .addNodeStats(node("cluster_1_1/xla_compile", 1_000_000L))     // compiled (or loaded), just
            .addNodeStats(node("cluster_2_1/xla_compile", 150_000L))       // a cache lookup
            .addNodeStats(node("cluster_0_1/xla_run", 9_000_000_000L))))   // running is not compiling
        .build();
    CompileTracker.Compilations found = CompileTracker.compilationsIn(metadata);
    assertEquals(2, found.count());
    assertEquals(4_201_000_000L, found.nanos());
  }

  @Test
  void thePersistentCacheIsTheFolderTfXlaFlagsNames() {
    assertEquals(Optional.empty(), XlaCompileCache.directoryIn(""));
    assertEquals(Optional.empty(), XlaCompileCache.directoryIn("--tf_xla_cpu_global_jit"));
    assertEquals(Optional.of(Path.of("/c/x")), XlaCompileCache.directoryIn(
        "--tf_xla_cpu_global_jit  --tf_xla_persistent_cache_directory=/c/x --tf_xla_deterministic_cluster_names=true"));
    assertEquals(Optional.of(Path.of("/b")), XlaCompileCache.directoryIn(
        "--tf_xla_persistent_cache_directory=/a --tf_xla_persistent_cache_directory=/b"), "the last one wins");
    assertEquals(Optional.empty(), XlaCompileCache.directoryIn("--tf_xla_persistent_cache_directory"),
        "a bare mention names no folder");
  }
}

package dev.finetune.vblora.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.training.device.Precision;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.OptimizerOptions.GlobalJitLevel;
import org.tensorflow.proto.RewriterConfig;

/** Device, XLA, precision and threads have one source, the config: what config.json records is what runs. */
class TrainerSessionTest {
  private static TrainConfig.Builder minimal() {
    return TrainConfig.builder().model("m").train(Path.of("t.tsv")).out(Path.of("out"));
  }

  /** The session options of a run of what {@code config} wrote into config.json. */
  private static ConfigProto recorded(TrainConfig config) {
    return new Trainer(TrainConfig.fromJson(config.toJson()), List.of()).sessionConfig();
  }

  @Test
  void aGpuRunWithXlaOpensItsSessionOnTheGpuWithXlaAsRecorded() {
    TrainConfig config = minimal().device("gpu").xla(true).build();
    ConfigProto session = new Trainer(config, List.of()).sessionConfig();
    assertEquals(GlobalJitLevel.ON_1, session.getGraphOptions().getOptimizerOptions().getGlobalJitLevel());
    assertTrue(session.getGpuOptions().getAllowGrowth(), "a GPU session");
    assertEquals(Map.of(), session.getDeviceCountMap(), "the GPU is not hidden");
    assertEquals(session, recorded(config));
  }

  @Test
  void xlaOffIsOffWhateverTheDeviceAndTheDefaultFollowsTheDevice() {
    for (String device : new String[] {"cpu", "gpu"}) {
      ConfigProto off = new Trainer(minimal().device(device).xla(false).build(), List.of()).sessionConfig();
      assertEquals(GlobalJitLevel.OFF, off.getGraphOptions().getOptimizerOptions().getGlobalJitLevel(), device);
    }
    assertEquals(GlobalJitLevel.ON_1, new Trainer(minimal().device("gpu").build(), List.of()).sessionConfig()
        .getGraphOptions().getOptimizerOptions().getGlobalJitLevel(), "gpu: on unless turned off");
    ConfigProto cpu = new Trainer(minimal().build(), List.of()).sessionConfig();
    assertEquals(GlobalJitLevel.OFF, cpu.getGraphOptions().getOptimizerOptions().getGlobalJitLevel());
    assertEquals(0, cpu.getDeviceCountOrThrow("GPU"), "a CPU run hides any GPU");
  }

  @Test
  void precisionAndThreadsGoIntoTheSessionAndConfigJsonButNotIntoWhatAResumeMustMatch() {
    TrainConfig config = minimal().precision(Precision.BF16).intraOpThreads(2).interOpThreads(1).build();
    ConfigProto session = new Trainer(config, List.of()).sessionConfig();
    assertEquals(RewriterConfig.Toggle.ON, session.getGraphOptions().getRewriteOptions()
        .getAutoMixedPrecisionOnednnBfloat16());
    assertEquals(2, session.getIntraOpParallelismThreads());
    assertEquals(1, session.getInterOpParallelismThreads());
    assertEquals("bf16", config.toJson().get("precision"));
    assertEquals(session, recorded(config));
    assertEquals(minimal().build().identity(), config.identity(), "where and how fast, not what is computed");
  }

  @Test
  void aPrecisionTheDeviceHasNoRewriteForIsRefusedNamingBoth() {
    InvalidSettingException e = assertThrows(InvalidSettingException.class,
        () -> minimal().precision(Precision.FP16).build());
    assertEquals(List.of("precision", "device"), e.settings());
    assertTrue(e.getMessage().contains("fp16 is not available on cpu"), e.getMessage());
  }

  @Test
  void aRunWithoutATrainFileOrExamplesInMemoryIsRefusedNamingTrain() {
    TrainConfig config = TrainConfig.builder().model("m").out(Path.of("out")).build();
    InvalidSettingException e = assertThrows(InvalidSettingException.class,
        () -> new Trainer(config, List.of()).run());
    assertEquals(List.of("train"), e.settings());
  }
}

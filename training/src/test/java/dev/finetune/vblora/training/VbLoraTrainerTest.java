package dev.finetune.vblora.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.testing.SharedFolder;
import dev.finetune.vblora.training.device.XlaCpuFlag;
import dev.finetune.vblora.training.listen.TrainingListener;
import dev.finetune.vblora.training.listen.TrainingListeners;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link VbLora#trainer}: the library's way to a run set up beyond its config. A program hears through its
 * listeners the warnings {@code vblora train} prints, and a service can train without the run's log files. The
 * model is the small Keras MLP, trained for one step on its own output.
 */
class VbLoraTrainerTest {
  @TempDir
  Path dir;

  private TrainConfig.Builder oneStep(Path data) throws Exception {
    return TrainConfig.builder().model(SharedFolder.resolve("fixtures/tf2/keras_dense_mlp").toString())
        .train(data).valid(data).targets("dense_2/kernel").vectorLength(8).numVectors(16).rank(1).maxSteps(1)
        .batchSize(1).warmupRatio(0);
  }

  private Path data() throws Exception {
    String features = IntStream.range(0, 72).mapToObj(i -> "0.1").collect(Collectors.joining(", "));
    return Files.writeString(dir.resolve("data.jsonl"), "{\"dense_input\": [" + features + "], \"label\": 1.0}\n");
  }

  @Test
  void xlaAskedOnACpuThatCannotHonourItIsSaidToTheListeners() throws Exception {
    List<String> warnings = new ArrayList<>();
    TrainingListener heard = new TrainingListener() {
      @Override
      public void onWarning(String warning) {
        warnings.add(warning);
      }
    };
    VbLora.trainer(oneStep(data()).device("cpu").xla(true).out(dir.resolve("run")).build(), heard).run();
    // The process's environment decides: the xla-cpu test execution starts with the flag, the default one without.
    assertEquals(XlaCpuFlag.enabled() ? List.of() : List.of(XlaCpuFlag.hint()), warnings);
  }

  @Test
  void aRunWithoutTheDefaultFileLogsWritesItsResultsAndNoLogs() throws Exception {
    Path out = dir.resolve("quiet");
    TrainingResult result = VbLora.trainer(oneStep(data()).out(out).build())
        .withDefaultListeners(TrainingListeners.lossGuard()).run();
    assertTrue(Files.isRegularFile(result.metricsFile()));
    assertTrue(Files.isRegularFile(result.merged().resolve("saved_model.pb")));
    for (String log : List.of("log.jsonl", "tensorboard", "curves.png")) {
      assertTrue(Files.notExists(out.resolve(log)), log + " is one of the default file logs, left out");
    }
  }
}

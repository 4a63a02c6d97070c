package dev.finetune.vblora.training.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.training.TrainConfig;
import dev.finetune.vblora.training.Trainer;
import dev.finetune.vblora.training.listen.StepReport;
import dev.finetune.vblora.training.listen.TrainingListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The short real run that the resume tests start from: {@link #STEPS} steps of 4 demo sentences of 16 tokens on
 * BERT-base (24 training, 8 validation sentences), evaluated and checkpointed every 2 steps, logged every step.
 *
 * @param straight the folder of the run made without interruption
 */
public record FourStepRun(Path train, Path valid, Path straight) {
  public static final int STEPS = 4;

  /** Writes the data into {@code dir} and trains the uninterrupted run into dir/straight. */
  public static FourStepRun trainIn(Path dir) throws IOException {
    FourStepRun run = new FourStepRun(DemoFiles.train(dir.resolve("data"), 24),
        DemoFiles.valid(dir.resolve("data"), 8), dir.resolve("straight"));
    CliRun straight = CliRun.of(run.args(run.straight()));
    assertEquals(0, straight.status(), straight.toString());
    return run;
  }

  /** The run's command line into {@code out}, followed by {@code more}. */
  public String[] args(Path out, String... more) {
    List<String> args = TrainCommandLine.onBert(train, valid, 16, out, "--max-steps", Integer.toString(STEPS),
        "--eval-every", "2", "--log-every", "1");
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  /** The same run into {@code out}, crashing in step {@code step} (a listener throws there). */
  public void crashAt(Path out, int step) throws IOException {
    TrainConfig config = TrainConfig.fromJson(Json.parseObject(Files.readString(straight.resolve("config.json"))))
        .toBuilder().out(out).build();
    TrainingListener crash = new TrainingListener() {
      @Override
      public void onStep(StepReport report) {
        if (report.step() == step) {
          throw new IllegalStateException("simulated crash in step " + step);
        }
      }
    };
    assertThrows(IllegalStateException.class, () -> new Trainer(config, List.of(crash)).run());
  }
}

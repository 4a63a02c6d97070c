package dev.finetune.vblora.training.listen;

import dev.finetune.vblora.training.guard.LossGuardListener;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The listeners a run gets besides its caller's, as DJL's {@code TrainingListener.Defaults}: {@link #defaults()}
 * is the loss guard and the run's file logs (DIR/log.jsonl, DIR/tensorboard/, DIR/curves.png). A caller replaces
 * or drops them with {@code trainer.withDefaultListeners(...)}, e.g. {@code TrainingListeners.lossGuard()} for a
 * service that keeps no log files, or {@code TrainingListeners.defaults().and(run -> List.of(mine))}.
 * The defaults are made when the loop starts, because they write into the run's folder (which may be a staging
 * folder) and continue the logs of a resumed run; the trainer closes them at the end of the run.
 */
public final class TrainingListeners {
  private TrainingListeners() {}

  /**
   * What a default listener may need of the run.
   *
   * @param out the folder the run writes into
   * @param resumedAt the step the run starts at (0 for a fresh run)
   * @param resumedFrom the checkpoint folder a resumed run started from, or null for a fresh run
   * @param metric the validation metric that picks the best checkpoint (e.g. accuracy)
   * @param logEvery the steps between two lines of the JSONL log
   */
  public record RunContext(Path out, long resumedAt, Path resumedFrom, String metric, long logEvery) {
    /** Whether the run continues one that stopped. */
    public boolean resumed() {
      return resumedFrom != null;
    }
  }

  /** Makes listeners for one run. */
  @FunctionalInterface
  public interface Factory {
    List<TrainingListener> create(RunContext run) throws IOException;

    /** This factory's listeners, then {@code more}'s. */
    default Factory and(Factory more) {
      return run -> {
        List<TrainingListener> all = new ArrayList<>(create(run));
        all.addAll(more.create(run));
        return all;
      };
    }
  }

  /** The loss guard, then the file logs: what every run gets unless its caller says otherwise. */
  public static Factory defaults() {
    return lossGuard().and(fileLogs());
  }

  /** Stops the run at the first NaN or infinite loss (see {@link LossGuardListener}). */
  public static Factory lossGuard() {
    return run -> List.of(new LossGuardListener(run.resumedFrom()));
  }

  /** DIR/log.jsonl, DIR/tensorboard/ and DIR/curves.png; a resumed run continues the log and the curves. */
  public static Factory fileLogs() {
    return run -> {
      Path log = run.out().resolve("log.jsonl");
      JsonlLog jsonl = run.resumed() ? JsonlLog.resumingAt(log, run.resumedAt(), run.logEvery())
          : JsonlLog.appendingTo(log, run.logEvery());
      CurvePlot curves = new CurvePlot(run.out().resolve("curves.png"), 900, 600, run.metric())
          .withHistory(run.resumed() ? JsonlLog.read(log) : List.of());
      TensorBoardLog tensorBoard = TensorBoardLog.create(run.out().resolve("tensorboard"));
      return List.of(jsonl, tensorBoard, curves);
    };
  }

  /** No listeners: the run writes no logs and trains on through a non-finite loss. */
  public static Factory none() {
    return run -> List.of();
  }
}

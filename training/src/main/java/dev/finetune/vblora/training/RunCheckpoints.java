package dev.finetune.vblora.training;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.training.checkpoint.Checkpoint;
import dev.finetune.vblora.training.checkpoint.CheckpointRef;
import dev.finetune.vblora.training.checkpoint.CheckpointStore;
import dev.finetune.vblora.training.checkpoint.TrainingState;
import dev.finetune.vblora.training.export.AdapterManifest;
import dev.finetune.vblora.training.metrics.BestCheckpointRule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.tensorflow.Session;

/**
 * A run's checkpoints in DIR/checkpoints: what a resume restores, what each evaluation saves (with the adapter
 * manifest, so that export-adapter works from a checkpoint alone) and which saved weights are the best.
 */
final class RunCheckpoints {
  private final TrainConfig config;
  private final CheckpointStore store;
  private final BestCheckpointRule rule;
  private final AdapterManifest manifest;

  private RunCheckpoints(TrainConfig config, CheckpointStore store, BestCheckpointRule rule,
      AdapterManifest manifest) {
    this.config = config;
    this.store = store;
    this.rule = rule;
    this.manifest = manifest;
  }

  /** The checkpoints of {@code config.out()}, the best chosen by the metric that fits {@code task}. */
  static RunCheckpoints open(TrainConfig config, Task task, AdapterManifest manifest) throws IOException {
    BestCheckpointRule rule = task == Task.CLASSIFICATION
        ? BestCheckpointRule.forClassification() : BestCheckpointRule.forRegression();
    return new RunCheckpoints(config, CheckpointStore.open(config.out(), 1, rule), rule, manifest);
  }

  /** Which metric picks the best checkpoint, and how. */
  BestCheckpointRule rule() {
    return rule;
  }

  /**
   * Where the run starts.
   *
   * @param step the first step to train
   * @param checkpoint the checkpoint resumed from, or null for a fresh run
   * @param bestValue the best checkpoint's metric so far (NaN: none yet)
   * @param metrics the last evaluation's metrics (empty: none yet)
   */
  record Start(long step, Path checkpoint, double bestValue, Map<String, Double> metrics) {
    static final Start FRESH = new Start(0, null, Double.NaN, Map.of());
  }

  /** A fresh start, or with resume the newest checkpoint's state restored into {@code session}. */
  Start resume(TrainingGraph graph, Session session) throws IOException {
    if (!config.resume()) {
      return Start.FRESH;
    }
    CheckpointRef latest = store.latest().orElseThrow(() -> new InvalidSettingException("resume",
        "resume: there is no checkpoint in " + store.root() + " to resume from; start the run without resume"));
    Checkpoint checkpoint = store.loadForResume(latest);
    RunFolder.requireSameSettings(config, latest, checkpoint);
    graph.restoreCheckpointState(session, checkpoint.tensors());
    double bestValue = store.best().map(ref -> {
      try {
        return rule.valueIn(store.load(ref).state().metrics());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }).orElse(Double.NaN);
    return new Start(checkpoint.state().step(), latest.dir(), bestValue, checkpoint.state().metrics());
  }

  /** Saves the session's state after {@code step}, evaluated with {@code metrics}. */
  CheckpointRef save(TrainingGraph graph, Session session, long step, long perEpoch, Map<String, Double> metrics)
      throws IOException {
    Map<String, Object> state = new LinkedHashMap<>();
    state.put("manifest", manifest.toJson());
    return store.save(graph.checkpointState(session), new TrainingState(step, (int) (step / perEpoch),
        step % perEpoch, config.seed(), "", metrics, state));
  }

  /** The best checkpoint saved so far; empty when none was. */
  Optional<CheckpointRef> best() throws IOException {
    return store.best();
  }

  /** Restores {@code best}'s trainable weights into {@code session} and returns its metrics. */
  Map<String, Double> restore(CheckpointRef best, TrainingGraph graph, Session session) throws IOException {
    Checkpoint checkpoint = store.load(best);
    graph.restoreTrainableState(session, checkpoint.tensors());
    return checkpoint.state().metrics();
  }
}

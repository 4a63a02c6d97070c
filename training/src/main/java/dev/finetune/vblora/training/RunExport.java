package dev.finetune.vblora.training;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.io.AtomicFile;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.model.AdapterPlan;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.adapter.AdapterFolder;
import dev.finetune.vblora.savedmodel.adapter.NonFiniteValueException;
import dev.finetune.vblora.savedmodel.adapter.PeftAdapter;
import dev.finetune.vblora.training.export.AdapterExport;
import dev.finetune.vblora.training.export.AdapterManifest;
import dev.finetune.vblora.savedmodel.export.MergedModel;
import dev.finetune.vblora.training.listen.TrainingSummary;
import dev.finetune.vblora.training.timing.Phase;
import dev.finetune.vblora.training.timing.RunClock;
import java.util.List;
import java.io.IOException;
import java.nio.file.Path;
import org.tensorflow.Session;

/**
 * A trained run's outputs: DIR/valid_predictions.tsv, the adapter (DIR/adapter, PEFT format), the merged model
 * (DIR/merged, merged from adapter/ by merge's own code) and DIR/metrics.json, written last.
 */
final class RunExport {
  /** The run's metrics, written after every other output: a run folder that has it is complete. */
  static final String METRICS_FILE = "metrics.json";

  private final TrainConfig config;
  private final SavedModelInfo model;
  private final AdapterPlan plan;
  private final AdapterManifest manifest;

  RunExport(TrainConfig config, SavedModelInfo model, AdapterPlan plan, AdapterManifest manifest) {
    this.config = config;
    this.model = model;
    this.plan = plan;
    this.manifest = manifest;
  }

  /** What the adapter export reads besides the weights. */
  AdapterManifest manifest() {
    return manifest;
  }

  /** Writes every output of the weights in {@code session}, whose validation outputs are {@code predictions}. */
  TrainingResult write(TrainingSummary summary, PredictionTable predictions, TrainingGraph graph, Session session,
      RunClock clock) throws IOException {
    Path adapterDir = config.out().resolve("adapter");
    Path mergedDir = config.out().resolve("merged");
    long exportStart = clock.now();
    predictions.write(config.out().resolve(Trainer.VALID_PREDICTIONS));
    PeftAdapter adapter;
    try {
      adapter = AdapterExport.toPeft(manifest, graph.trainableState(session));
    } catch (NonFiniteValueException e) {
      throw new InvalidSettingException(List.of("lrBank", "lrLogits", "lrLora", "lrHead", "out"), "the weights"
          + " to export (step " + summary.bestStep() + ") are not finite: " + e.getMessage() + "; nothing was"
          + " exported. Train again with lower learning rates (lrBank, lrLogits, lrLora, lrHead) in another out"
          + " folder", e);
    }
    AdapterFolder.write(adapter, adapterDir, true);
    // merged/ is adapter/ merged by vblora merge's own code (plain Java, the same on every device; not the
    // training graph's deltas, which a GPU forms with TF32 matmuls), so what is served is what adapter/ says.
    // No one to warn: the run's base model is the user's choice, and merging into a model that already holds this
    // very adapter is still refused.
    MergedModel.merge(model, config.tag(), config.signature(), adapterDir, mergedDir, true, warning -> {});
    long headParams = graph.headVariables().stream().mapToLong(v -> v.elementCount()).sum();
    clock.since(Phase.EXPORT, exportStart);
    // The figures as of the metrics file's writing: everything but that one small write is in them.
    TrainingResult result = new TrainingResult(config.out(), summary.bestStep(), summary.bestMetrics(),
        summary.finalMetrics(), plan.trainableParams(), plan.storedParams(), headParams, summary.stepMillis(),
        graph.adapted().updateForms(), graph.staging().map(StagedSteps::stepLaunch).orElse(StepLaunch.CLUSTERED),
        graph.staging().flatMap(StagedSteps::launchRefusal), adapterDir, mergedDir,
        config.out().resolve(METRICS_FILE), clock.snapshot());
    AtomicFile.writeString(result.metricsFile(), Json.toIndentedJson(result.toJson()) + "\n");
    return result;
  }
}

package dev.finetune.vblora.training;

import dev.finetune.vblora.model.AppliedUpdateForms;
import dev.finetune.vblora.model.UpdateForm;
import dev.finetune.vblora.savedmodel.VbloraVersion;
import dev.finetune.vblora.training.timing.RunTimings;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What a finished run produced and where (the content of DIR/metrics.json plus the output paths).
 *
 * @param out the run folder
 * @param bestStep step of the best evaluation, whose weights the exports hold
 * @param bestMetrics metrics of the best evaluation (metrics.json's "best"; named as in {@link
 *     dev.finetune.vblora.training.listen.TrainingSummary})
 * @param finalMetrics metrics of the last evaluation (metrics.json's "final")
 * @param trainableParams parameters the adapter trained (the head not counted)
 * @param storedParams float32-equivalent parameters the adapter file keeps
 * @param headParams parameters of the task head
 * @param stepMillis median wall time of one training step (steps that compiled a new shape left out)
 * @param updateForms how the adapted MatMuls applied the update: the form asked for (auto resolved for the
 *     device) and the form each kernel got
 * @param stepLaunch how XLA ran the training steps: {@code whole} (one program per step, see {@link
 *     StepLaunch#WHOLE}) or {@code clustered} (as built: without XLA, fed steps, or a program XLA refused)
 * @param stepLaunchRefusal why steps asked to run as one program ran as built (see {@link
 *     StagedSteps#launchRefusal}); empty when they were not asked to or did
 * @param adapter DIR/adapter (PEFT adapter_config.json + adapter_model.safetensors)
 * @param merged DIR/merged (the SavedModel with the adapter merged in, and the new head where the run trained one)
 * @param metricsFile DIR/metrics.json
 * @param timings where the run's wall time went, up to the writing of metrics.json
 */
public record TrainingResult(Path out, long bestStep, Map<String, Double> bestMetrics,
    Map<String, Double> finalMetrics, long trainableParams, long storedParams, long headParams, double stepMillis,
    AppliedUpdateForms updateForms, StepLaunch stepLaunch, Optional<String> stepLaunchRefusal, Path adapter,
    Path merged, Path metricsFile, RunTimings timings) {

  /**
   * {"tool_version": {@link VbloraVersion#current()}, "best": {"step", metrics...}, "final": {...},
   * "params": {"trainable","stored","head"}, "step_ms": X, "update_form": "low-rank"|"merged"|"merged-factored",
   * "update_form_kernels": {form: N}, "update_form_exceptions"?: {kernel: "form: why"}, "step_launch":
   * "clustered"|"whole", "step_launch_refusal"?: "...", "timings": {see {@link RunTimings#toJson()}}}.
   */
  public Map<String, Object> toJson() {
    Map<String, Object> bestJson = new LinkedHashMap<>();
    bestJson.put("step", bestStep);
    bestMetrics.forEach((k, v) -> bestJson.put(k, finite(v)));
    Map<String, Object> finalJson = new LinkedHashMap<>();
    finalMetrics.forEach((k, v) -> finalJson.put(k, finite(v)));
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("trainable", trainableParams);
    params.put("stored", storedParams);
    params.put("head", headParams);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put(VbloraVersion.JSON_KEY, VbloraVersion.current());
    json.put("best", bestJson);
    json.put("final", finalJson);
    json.put("params", params);
    json.put("step_ms", finite(stepMillis));
    json.put("update_form", updateForm().label());
    json.put("update_form_kernels", updateForms.countsJson());
    if (!updateForms.asAsked()) {
      json.put("update_form_exceptions", updateForms.exceptionsJson());
    }
    json.put("step_launch", stepLaunch.label());
    stepLaunchRefusal.ifPresent(reason -> json.put("step_launch_refusal", reason));
    json.put("timings", timings.toJson());
    return json;
  }

  /** The update form the run asked for (auto resolved for the device); {@link #updateForms()} says what it got. */
  public UpdateForm updateForm() {
    return updateForms.asked();
  }

  /** This result with its paths in {@code folder}: a run trained in a staging folder, then moved into place. */
  TrainingResult movedTo(Path folder) {
    return new TrainingResult(folder, bestStep, bestMetrics, finalMetrics, trainableParams, storedParams, headParams,
        stepMillis, updateForms, stepLaunch, stepLaunchRefusal, folder.resolve(out.relativize(adapter)),
        folder.resolve(out.relativize(merged)), folder.resolve(out.relativize(metricsFile)), timings);
  }

  private static Object finite(double value) {
    return Double.isFinite(value) ? value : null;
  }
}

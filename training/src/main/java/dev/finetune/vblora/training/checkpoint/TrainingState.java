package dev.finetune.vblora.training.checkpoint;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything besides tensors that a resume needs to continue exactly where a run stopped; saved as
 * state.json next to the tensors.
 *
 * @param step optimizer steps completed
 * @param epoch 0-based epoch in progress
 * @param positionInEpoch batches of that epoch already consumed (its data order is rebuilt from the seed)
 * @param seed the run's seed
 * @param rngState the loop's random-number state, opaque here (empty when the loop derives it from seed)
 * @param metrics evaluation metrics at this step, used to pick the best checkpoint (may be empty); NaN is
 *     saved as the string "NaN"
 * @param config the run's resolved configuration, as JSON, so a resume can refuse a different setup
 */
public record TrainingState(
    long step,
    int epoch,
    @JsonProperty("position_in_epoch") long positionInEpoch,
    long seed,
    @JsonProperty("rng_state") String rngState,
    Map<String, Double> metrics,
    JsonNode config) {

  public TrainingState {
    if (step < 0 || epoch < 0 || positionInEpoch < 0) {
      throw new IllegalArgumentException("training state has a negative step (" + step + "), epoch (" + epoch
          + ") or position (" + positionInEpoch + ")");
    }
    rngState = rngState == null ? "" : rngState;
    metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics == null ? Map.of() : metrics));
    config = config == null ? JsonNodeFactory.instance.objectNode() : config.deepCopy();
  }
}

package dev.finetune.vblora.training.checkpoint;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.data.json.JsonException;
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
 *     saved as the string "NaN" (and infinities as "Infinity", "-Infinity"), since JSON has no such numbers
 * @param config the run's resolved configuration as a JSON object (maps, lists, strings, numbers, booleans,
 *     null), so a resume can refuse a different setup; kept as the copy that state.json reads back, so
 *     integers are Longs and other numbers Doubles whatever the caller passed
 */
public record TrainingState(
    long step,
    int epoch,
    long positionInEpoch,
    long seed,
    String rngState,
    Map<String, Double> metrics,
    Map<String, Object> config) {

  private static final String STEP = "step";
  private static final String EPOCH = "epoch";
  private static final String POSITION_IN_EPOCH = "position_in_epoch";
  private static final String SEED = "seed";
  private static final String RNG_STATE = "rng_state";
  private static final String METRICS = "metrics";
  private static final String CONFIG = "config";

  public TrainingState {
    if (step < 0 || epoch < 0 || positionInEpoch < 0) {
      throw new VbLoraException("training state has a negative step (" + step + "), epoch (" + epoch
          + ") or position (" + positionInEpoch + ")");
    }
    rngState = rngState == null ? "" : rngState;
    metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics == null ? Map.of() : metrics));
    // A JSON round trip is a deep, unmodifiable copy that also fails now, not at save time, on a value
    // JSON cannot hold.
    config = config == null ? Map.of() : Json.parseObject(Json.toCompactJson(config));
  }

  /** The text of state.json. */
  String toJson() {
    Map<String, Object> metricValues = new LinkedHashMap<>();
    metrics.forEach((name, value) -> metricValues.put(name, Double.isFinite(value) ? value : value.toString()));
    Map<String, Object> json = new LinkedHashMap<>();
    json.put(STEP, step);
    json.put(EPOCH, epoch);
    json.put(POSITION_IN_EPOCH, positionInEpoch);
    json.put(SEED, seed);
    json.put(RNG_STATE, rngState);
    json.put(METRICS, metricValues);
    json.put(CONFIG, config);
    return Json.toIndentedJson(json) + "\n";
  }

  /**
   * Reads what {@link #toJson} wrote; rng_state, metrics and config may be absent, keys it does not know are
   * ignored.
   *
   * @throws JsonException when the text is not JSON or a key is missing or of the wrong type (the message names
   *     the key)
   */
  static TrainingState fromJson(String text) {
    Map<String, Object> json = Json.parseObject(text);
    Map<String, Double> metrics = new LinkedHashMap<>();
    if (json.get(METRICS) != null) {
      Map<String, Object> values = Json.getObject(json, METRICS);
      for (String name : values.keySet()) {
        metrics.put(name, values.get(name) instanceof String special ? nonFinite(name, special)
            : Json.getDouble(values, name));
      }
    }
    return new TrainingState(
        Json.getLong(json, STEP),
        Json.getInt(json, EPOCH),
        Json.getLong(json, POSITION_IN_EPOCH),
        Json.getLong(json, SEED),
        json.get(RNG_STATE) == null ? "" : Json.getString(json, RNG_STATE),
        metrics,
        json.get(CONFIG) == null ? Map.of() : Json.getObject(json, CONFIG));
  }

  private static double nonFinite(String metric, String text) {
    return switch (text) {
      case "NaN" -> Double.NaN;
      case "Infinity" -> Double.POSITIVE_INFINITY;
      case "-Infinity" -> Double.NEGATIVE_INFINITY;
      default -> throw new JsonException("metric " + Json.quote(metric) + " must be a number, \"NaN\", "
          + "\"Infinity\" or \"-Infinity\", got " + Json.quote(text));
    };
  }
}

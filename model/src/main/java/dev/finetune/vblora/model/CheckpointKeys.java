package dev.finetune.vblora.model;

import java.util.Map;
import java.util.Optional;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.SaverDef;

/**
 * Which checkpoint entry holds each variable of a model, as its own saver restores it (a TF1 graph's saver maps
 * variable {@code module/bert/.../kernel} to a key of the same name; other savers may rename).
 */
public final class CheckpointKeys {
  private CheckpointKeys() {}

  /**
   * Variable node name to checkpoint key, for every variable the saver's restore op assigns; empty when the
   * restore does more than read entries into resource variables (e.g. a TF2 export's restore function), so
   * that the mapping cannot be read off the graph.
   */
  public static Optional<Map<String, String>> of(GraphDef graph, SaverDef saver) {
    return PackedRestore.checkpointKeys(graph, saver);
  }
}

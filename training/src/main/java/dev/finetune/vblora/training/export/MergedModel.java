package dev.finetune.vblora.training.export;

import dev.finetune.vblora.data.LabelSet;
import dev.finetune.vblora.savedmodel.adapter.AtomicDirectoryWriter;
import dev.finetune.vblora.savedmodel.adapter.OutputMarker;
import dev.finetune.vblora.savedmodel.export.HeadWeights;
import dev.finetune.vblora.savedmodel.export.MergedExporter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes a merged SavedModel (MergedExporter) all or nothing, marked as a merged model ({@link OutputMarker}),
 * with the head's label names in {@value #LABELS_FILE} so that {@code vblora eval} on the merged folder needs
 * nothing else (the tokenizer's vocab.txt comes along with the model's assets).
 */
public final class MergedModel {
  /** Class names in output order, {"labels": [...]}; TF Serving ignores assets.extra. */
  public static final String LABELS_FILE = "assets.extra/vblora_labels.json";

  private MergedModel() {}

  /**
   * @param deltas per base variable, the update in its own layout
   * @param labelNames class names (empty for regression or when unknown: no labels file)
   * @param overwrite replace {@code target}, which must be empty or a merged model vblora wrote
   */
  public static void write(Path baseModel, String tag, Map<String, float[][]> deltas, Optional<HeadWeights> head,
      List<String> labelNames, Path target, boolean overwrite) throws IOException {
    AtomicDirectoryWriter.write(target, OutputMarker.Kind.MERGED_MODEL, overwrite, folder -> {
      new MergedExporter(baseModel, tag).export(deltas, head, folder);
      if (!labelNames.isEmpty()) {
        Path labels = folder.resolve(LABELS_FILE);
        Files.createDirectories(labels.getParent());
        Files.writeString(labels, LabelSet.inOrder(labelNames).toJson() + "\n");
      }
    });
  }

  /** The label names a merged model carries, if it has the file. */
  public static Optional<LabelSet> labels(Path model) throws IOException {
    Path file = model.resolve(LABELS_FILE);
    return Files.isRegularFile(file) ? Optional.of(LabelSet.load(file)) : Optional.empty();
  }
}

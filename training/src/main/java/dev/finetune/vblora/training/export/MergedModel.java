package dev.finetune.vblora.training.export;

import dev.finetune.vblora.data.LabelSet;
import dev.finetune.vblora.savedmodel.adapter.AtomicDirectoryWriter;
import dev.finetune.vblora.savedmodel.adapter.OutputMarker;
import dev.finetune.vblora.savedmodel.export.MergedExporter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
   * Writes {@code baseModel} with {@code adapter} merged in: its kernel updates, its head (if any) and its label
   * names (when it has some: the labels file).
   *
   * @param overwrite replace {@code target}, which must be empty or a merged model vblora wrote
   */
  public static void write(Path baseModel, String tag, AdapterDeltas adapter, Path target, boolean overwrite)
      throws IOException {
    List<String> labelNames = adapter.labelNames();
    AtomicDirectoryWriter.write(target, OutputMarker.Kind.MERGED_MODEL, overwrite, folder -> {
      new MergedExporter(baseModel, tag).export(adapter.deltas(), adapter.head(), folder);
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

package dev.finetune.vblora.training;

import dev.finetune.vblora.data.LabelSet;
import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.io.AtomicDirectoryWriter;
import dev.finetune.vblora.savedmodel.SavedModelReader;
import dev.finetune.vblora.savedmodel.export.AdapterDeltas;
import dev.finetune.vblora.savedmodel.export.MergedAdapters;
import dev.finetune.vblora.savedmodel.export.MergedModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The model an evaluation scores: a merged model as it is, or a base model with an adapter merged into a temporary
 * folder by vblora merge's own code (so that what is scored is what would be served), deleted on {@link #close}.
 * {@code vblora eval} and {@link VbLora#evaluate} both score through it.
 *
 * @param folder the SavedModel to load
 * @param labels the class names: the adapter's, else those the merged model records
 * @param temp the temporary folder holding {@code folder}, when an adapter was merged for the scoring
 */
public record ScoredModel(Path folder, Optional<LabelSet> labels, Optional<Path> temp) implements AutoCloseable {
  /**
   * @param adapter the adapter to merge into {@code model}, or empty to score {@code model} itself
   * @param warnings told when {@code model} already holds another adapter (the updates stack)
   * @param merging told once the adapter has been read and fits {@code model}, as the merge starts (not told for
   *     an adapter refused when read, nor without an adapter)
   * @throws dev.finetune.vblora.data.error.VbLoraException when {@code model} already holds {@code adapter}, or
   *     the adapter does not fit it
   */
  public static ScoredModel of(Path model, Optional<Path> adapter, String tag, String signature,
      Consumer<String> warnings, Consumer<String> merging) throws IOException {
    if (adapter.isEmpty()) {
      return new ScoredModel(model, MergedModel.labels(model), Optional.empty());
    }
    AdapterDeltas deltas = AdapterDeltas.read(adapter.get(), SavedModelReader.read(model, Set.of(tag.split(","))),
        signature);
    merging.accept("merging " + adapter.get() + " into " + model + " ...");
    Path temp = Files.createTempDirectory("vblora-eval");
    try {
      Path merged = temp.resolve("merged");
      // An adapter without a head merges weights-only: the model's own output is scored then.
      MergedModel.write(model, tag, deltas, adapter.get(), merged, false, warnings);
      return new ScoredModel(merged, deltas.labelNames().isEmpty() ? Optional.empty()
          : Optional.of(LabelSet.inOrder(deltas.labelNames())), Optional.of(temp));
    } catch (IOException | RuntimeException e) {
      AtomicDirectoryWriter.deleteTree(temp);
      throw e;
    }
  }

  /**
   * Refuses single texts for a model whose merged adapter was trained on text pairs: scored on the first text alone,
   * every example would miss what the head learned from the second, and the metrics would say nothing.
   *
   * @param pairsGiven whether the data mapping names a second text column
   * @throws InvalidSettingException (textPairColumn) when pairs are needed and not given
   */
  public void requireTextPairs(boolean pairsGiven) throws IOException {
    if (pairsGiven) {
      return;
    }
    for (MergedAdapters.Entry entry : MergedAdapters.read(folder)) {
      if (entry.textPairColumn() != null) {
        throw new InvalidSettingException("textPairColumn", "the model's " + entry.describe() + " was trained on"
            + " text pairs (the second text from the column '" + entry.textPairColumn() + "'); give textPairColumn,"
            + " the column of each example's second text");
      }
    }
  }

  /** Deletes the temporary merged model, if there is one. */
  @Override
  public void close() throws IOException {
    if (temp.isPresent()) {
      AtomicDirectoryWriter.deleteTree(temp.get());
    }
  }
}

package dev.finetune.vblora.savedmodel.export;

import dev.finetune.vblora.data.LabelSet;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.SavedModelReader;
import dev.finetune.vblora.savedmodel.adapter.AdapterFormatException;
import dev.finetune.vblora.data.io.AtomicDirectoryWriter;
import dev.finetune.vblora.data.io.OutputMarker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The deploy path's entry point, {@link #merge}: base model + adapter folder -> merged SavedModel.
 *
 * <p>Writes a merged SavedModel (MergedExporter) all or nothing, marked as a merged model ({@link OutputMarker}),
 * with the head's label names in {@value #LABELS_FILE} so that {@code vblora eval} on the merged folder needs
 * nothing else (the tokenizer's vocab.txt comes along with the model's assets).
 */
public final class MergedModel {
  /** Class names in output order, {"labels": [...]}; TF Serving ignores assets.extra. */
  public static final String LABELS_FILE = "assets.extra/vblora_labels.json";

  private MergedModel() {}

  /**
   * The deploy-time merge, base model + adapter folder -> merged SavedModel, in one call: reads the adapter in
   * {@code adapterDir} (ours, or one PEFT wrote), computes its updates for the kernels of {@code signature} of
   * {@code baseModel} in plain Java ({@link AdapterDeltas}) and writes the merged model to {@code target} all or
   * nothing ({@link #write}). It needs this module and those below it, nothing of training: a service that only
   * merges adapters depends on vblora-savedmodel alone. {@code vblora merge} runs this, and train's merged/ is
   * written by it, so that what is served is exactly what the adapter file holds.
   *
   * @param baseModel the base model as {@link SavedModelReader} read it
   * @param tag the tag of the meta graph to merge into, e.g. {@code serve}
   * @param signature the signature whose kernels the adapter adapts, e.g. {@code serving_default}
   * @param overwrite replace {@code target}, which must be empty or a merged model vblora wrote
   * @param warnings told when {@code baseModel} is itself a merged model (see {@link MergedAdapters#check})
   * @return what was merged: the kernel updates, the head (if the adapter has one) and its label names
   * @throws AdapterFormatException when the adapter folder is incomplete, damaged, or holds values that are not
   *     finite
   * @throws IllegalArgumentException when the adapter does not fit the model (a module matches none of its
   *     kernels, or one of another size), or when {@code baseModel} already has this adapter merged in
   */
  public static AdapterDeltas merge(SavedModelInfo baseModel, String tag, String signature, Path adapterDir,
      Path target, boolean overwrite, Consumer<String> warnings) throws IOException {
    Objects.requireNonNull(baseModel, "baseModel is null; give the SavedModel to merge into (SavedModelReader.read)");
    Objects.requireNonNull(adapterDir, "adapterDir is null; give the adapter's folder");
    Objects.requireNonNull(target, "target is null; give the folder to write the merged SavedModel to");
    AdapterDeltas deltas = AdapterDeltas.read(adapterDir, baseModel, signature);
    write(baseModel.path(), tag, deltas, adapterDir, target, overwrite, warnings);
    return deltas;
  }

  /**
   * {@link #merge(SavedModelInfo, String, String, Path, Path, boolean, Consumer)} for the usual export: the meta
   * graph tagged {@code serve}, its {@code serving_default} signature, a {@code target} that does not exist yet
   * or is empty, and no one to warn (a merged model as {@code baseModel} is still refused when it holds this
   * adapter already).
   */
  public static AdapterDeltas merge(Path baseModel, Path adapterDir, Path target) throws IOException {
    Objects.requireNonNull(baseModel, "baseModel is null; give the folder of the SavedModel to merge into");
    return merge(SavedModelReader.read(baseModel), SavedModelReader.SERVE, SavedModelInfo.DEFAULT_SIGNATURE,
        adapterDir, target, false, warning -> {});
  }

  /**
   * Writes {@code baseModel} with {@code adapter} merged in: its kernel updates, its head (if any), its label
   * names (when it has some: the labels file) and the record of the adapters merged in ({@link MergedAdapters}).
   *
   * @param adapterDir the folder the adapter was read from, for messages (null: unknown)
   * @param overwrite replace {@code target}, which must be empty or a merged model vblora wrote
   * @param warnings told when {@code baseModel} is itself a merged model (see {@link MergedAdapters#check})
   * @throws dev.finetune.vblora.data.error.VbLoraException when {@code baseModel} already has this adapter
   *     merged in; nothing is written then
   */
  public static void write(Path baseModel, String tag, AdapterDeltas adapter, Path adapterDir, Path target,
      boolean overwrite, Consumer<String> warnings) throws IOException {
    List<String> labelNames = adapter.labelNames();
    MergedAdapters.Entry entry = MergedAdapters.of(adapter);
    List<MergedAdapters.Entry> earlier = MergedAdapters.check(baseModel, entry, adapterDir, warnings);
    AtomicDirectoryWriter.write(target, OutputMarker.Kind.MERGED_MODEL, overwrite, folder -> {
      new MergedExporter(baseModel, tag).export(adapter.deltas(), adapter.head(), folder);
      MergedAdapters.write(folder, earlier, entry);
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

package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.io.AtomicDirectoryWriter;
import dev.finetune.vblora.data.io.OutputFolderExistsException;
import dev.finetune.vblora.data.io.OutputMarker;
import dev.finetune.vblora.savedmodel.VbloraVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A PEFT adapter folder: {@value AdapterConfig#FILE_NAME} + {@value #WEIGHTS_FILE}, the layout
 * {@code PeftModel.save_pretrained} writes and {@code PeftModel.from_pretrained} reads, plus this tool's
 * {@value ToolMetadata#FILE_NAME} beside them (PEFT does not look at it).
 */
public final class AdapterFolder {
  public static final String WEIGHTS_FILE = "adapter_model.safetensors";

  private AdapterFolder() {}

  /** Reads a VB-LoRA or LoRA adapter, whichever the config's peft_type says. */
  public static PeftAdapter read(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      throw new NoSuchFileException(folder.toString(), null, "adapter folder not found");
    }
    AdapterConfig config = withMetadataFile(AdapterConfig.read(folder), folder);
    Path weights = folder.resolve(WEIGHTS_FILE);
    if (!Files.isRegularFile(weights)) {
      String hint = Files.exists(folder.resolve("adapter_model.bin"))
          ? "; the folder has adapter_model.bin (pickle), which is not read here: save the adapter again with "
              + "safe_serialization=True"
          : "";
      throw new NoSuchFileException(weights.toString(), null, "missing" + hint);
    }
    SafetensorsFile file = SafetensorsReader.read(weights);
    if (config instanceof PeftVbLoraConfig vbLora) {
      return VbLoraSafetensors.fromFile(vbLora, file, weights.toString());
    }
    return LoraSafetensors.fromFile((PeftLoraConfig) config, file, weights.toString());
  }

  /**
   * The config with the metadata of {@value ToolMetadata#FILE_NAME} when the folder has that file; otherwise as
   * read (metadata from the older layout's key inside the config, or none). The file wins over the key.
   */
  private static AdapterConfig withMetadataFile(AdapterConfig config, Path folder) throws IOException {
    Path file = folder.resolve(ToolMetadata.FILE_NAME);
    return Files.isRegularFile(file) ? config.withToolMetadata(ToolMetadata.read(file)) : config;
  }

  /**
   * Reads an adapter that must be of one kind; any other is an {@link AdapterFormatException}.
   *
   * @param peftType the kind's peft_type, for the error
   */
  static <A extends PeftAdapter> A read(Path folder, Class<A> kind, String peftType) throws IOException {
    PeftAdapter adapter = read(folder);
    if (kind.isInstance(adapter)) {
      return kind.cast(adapter);
    }
    throw new AdapterFormatException(folder.toString(), "holds a " + adapter.config().peftType()
        + " adapter, not " + peftType);
  }

  /**
   * Writes {@code adapter} into {@code folder} all or nothing (see {@link AtomicDirectoryWriter}), marked as an
   * adapter ({@link OutputMarker}): the config as PEFT writes it, the weights, and {@value ToolMetadata#FILE_NAME}
   * with the adapter's metadata (none: only the version) stamped with this vblora's version.
   *
   * @param overwrite replace an existing folder, which must be empty or an adapter vblora wrote; without it an
   *     existing folder is an {@link OutputFolderExistsException}
   */
  public static void write(PeftAdapter adapter, Path folder, boolean overwrite) throws IOException {
    SafetensorsFile weights = adapter instanceof VbLoraAdapter vbLora
        ? VbLoraSafetensors.toFile(vbLora)
        : LoraSafetensors.toFile((LoraAdapter) adapter);
    String config = adapter.config().toJson();
    ToolMetadata metadata = adapter.config().toolMetadata() != null ? adapter.config().toolMetadata()
        : new ToolMetadata(null, null, null, null, null, null);
    String metadataJson = metadata.withToolVersion(VbloraVersion.current()).toJson();
    AtomicDirectoryWriter.write(folder, OutputMarker.Kind.ADAPTER, overwrite, temp -> {
      Files.writeString(temp.resolve(AdapterConfig.FILE_NAME), config, StandardCharsets.UTF_8);
      Files.writeString(temp.resolve(ToolMetadata.FILE_NAME), metadataJson, StandardCharsets.UTF_8);
      SafetensorsWriter.write(weights, temp.resolve(WEIGHTS_FILE));
    });
  }
}

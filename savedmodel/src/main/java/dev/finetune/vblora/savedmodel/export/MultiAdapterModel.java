package dev.finetune.vblora.savedmodel.export;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.model.Kernel;
import dev.finetune.vblora.model.KernelDiscovery;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.SavedModelReader;
import dev.finetune.vblora.savedmodel.adapter.AdapterFolder;
import dev.finetune.vblora.data.io.AtomicDirectoryWriter;
import dev.finetune.vblora.data.io.OutputMarker;
import dev.finetune.vblora.savedmodel.adapter.PeftAdapter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One SavedModel serving many adapters of one base model, each request example choosing its own by name
 * (see MultiAdapterExporter): the entry point for the CLI's {@code export-multi} and the Java API. Each adapter
 * folder is matched to the base model exactly as {@code merge} matches it (AdapterDeltas), so that an adapter
 * chosen here gives what its merged model gives.
 */
public final class MultiAdapterModel {
  private MultiAdapterModel() {}

  /**
   * What to write.
   *
   * @param baseModel the base SavedModel folder
   * @param tag its meta graph tag set
   * @param signature the signature whose kernels the adapters adapt
   * @param adapters name to adapter folder, in index order
   * @param out the folder to write
   * @param overwrite replace {@code out} when it holds a multi-adapter model vblora wrote
   * @param halfPrecisionBank store VB-LoRA banks as float16 (half their size, outputs off by their rounding)
   */
  public record Request(Path baseModel, String tag, String signature, Map<String, Path> adapters, Path out,
      boolean overwrite, boolean halfPrecisionBank) {
    public Request {
      Objects.requireNonNull(baseModel, "baseModel");
      Objects.requireNonNull(out, "out");
      adapters = Collections.unmodifiableMap(new LinkedHashMap<>(adapters));
      if (adapters.isEmpty()) {
        throw new VbLoraException("a multi-adapter model needs at least one adapter folder");
      }
    }

    public static Builder builder(Path baseModel, Path out) {
      return new Builder(baseModel, out);
    }

    /** This request with {@code folder} as its base model (a built-in name resolved to its folder). */
    public Request withBaseModel(Path folder) {
      return new Request(folder, tag, signature, adapters, out, overwrite, halfPrecisionBank);
    }
  }

  /** Builds a {@link Request}: required settings in {@link Request#builder}, the rest optional. */
  public static final class Builder {
    private final Path baseModel;
    private final Path out;
    private String tag = "serve";
    private String signature = "serving_default";
    private final Map<String, Path> adapters = new LinkedHashMap<>();
    private boolean overwrite;
    private boolean halfPrecisionBank;

    private Builder(Path baseModel, Path out) {
      this.baseModel = baseModel;
      this.out = out;
    }

    /** Adds an adapter under {@code name}; a name given twice is refused. */
    public Builder adapter(String name, Path folder) {
      if (adapters.putIfAbsent(name, folder) != null) {
        throw new VbLoraException("two adapters are named \"" + name + "\" (" + adapters.get(name)
            + " and " + folder + "); give each its own name");
      }
      return this;
    }

    /** Adds an adapter named after its folder. */
    public Builder adapter(Path folder) {
      Path name = folder.toAbsolutePath().normalize().getFileName();
      return adapter(name == null ? folder.toString() : name.toString(), folder);
    }

    public Builder tag(String value) {
      tag = value;
      return this;
    }

    public Builder signature(String value) {
      signature = value;
      return this;
    }

    public Builder overwrite(boolean value) {
      overwrite = value;
      return this;
    }

    public Builder halfPrecisionBank(boolean value) {
      halfPrecisionBank = value;
      return this;
    }

    public Request build() {
      return new Request(baseModel, tag, signature, adapters, out, overwrite, halfPrecisionBank);
    }
  }

  /** Writes the model all or nothing; returns the adapters in index order ("base" follows them). */
  public static List<String> write(Request request) throws IOException {
    SavedModelInfo model = SavedModelReader.read(request.baseModel(), Set.of(request.tag().split(",")));
    List<Kernel> kernels = KernelDiscovery.discover(model.metaGraph(), request.signature()); // once for all
    List<AdapterChoice> choices = new ArrayList<>();
    for (Map.Entry<String, Path> e : request.adapters().entrySet()) {
      choices.add(choice(e.getKey(), e.getValue(), model, request.signature(), kernels));
    }
    MultiAdapterExporter exporter = new MultiAdapterExporter(request.baseModel(), request.tag(),
        request.signature());
    AtomicDirectoryWriter.write(request.out(), OutputMarker.Kind.MULTI_ADAPTER_MODEL, request.overwrite(),
        folder -> exporter.export(choices, request.halfPrecisionBank(), folder));
    return List.copyOf(request.adapters().keySet());
  }

  /** One adapter folder matched to the model: which kernel each module updates, and its head. */
  static AdapterChoice choice(String name, Path folder, SavedModelInfo model, String signature,
      List<Kernel> modelKernels) throws IOException {
    PeftAdapter adapter = AdapterFolder.read(folder);
    // Matched by name and size only: the model composes each adapter's update in its graph, so the dense
    // deltas a merge needs are never formed here.
    Map<String, String> kernels = new LinkedHashMap<>();
    Optional<HeadWeights> head;
    try {
      AdapterDeltas.kernelsOf(adapter, model, modelKernels).forEach((module, kernel) ->
          kernels.put(module, kernel.variable()));
      head = AdapterDeltas.headOf(adapter, model, signature);
    } catch (IllegalArgumentException e) {
      throw new VbLoraException("adapter " + name + " (" + folder + "): " + e.getMessage(), e);
    }
    return new AdapterChoice(name, adapter, kernels, head);
  }
}

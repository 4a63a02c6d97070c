package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.error.VbLoraException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A VB-LoRA adapter in memory: its PEFT config, the vector bank shared by all adapted modules, and each
 * module's logits (full, or top-k only when read from a save_only_topk_weights file). Immutable.
 *
 * <p>As in PEFT, the config decides the file layout: with save_only_topk_weights an adapter holding full
 * logits is cut to top-k when written; an adapter holding only top-k weights cannot be written with full
 * logits (they cannot be recovered).
 */
public final class VbLoraAdapter implements PeftAdapter {
  private final PeftVbLoraConfig config;
  private final float[] bank; // [h, b] row-major
  private final ModulesByPath<VbLoraModule> modules;
  private final Map<String, StoredTensor> otherTensors;

  private VbLoraAdapter(PeftVbLoraConfig config, float[] bank, ModulesByPath<VbLoraModule> modules,
      Map<String, StoredTensor> otherTensors) {
    this.config = config;
    this.bank = bank;
    this.modules = modules;
    this.otherTensors = Collections.unmodifiableMap(new LinkedHashMap<>(otherTensors));
    validate();
  }

  /**
   * An adapter from its parts.
   *
   * @param vectorBank h rows of length b; h and b must match the config's num_vectors and vector_length
   * @param modules the adapted modules, all full logits or all top-k
   */
  public static VbLoraAdapter of(PeftVbLoraConfig config, float[][] vectorBank, Collection<VbLoraModule> modules) {
    return of(config, vectorBank, modules, Map.of());
  }

  /** As {@link #of(PeftVbLoraConfig, float[][], Collection)}, plus non-adapter tensors kept in the file. */
  public static VbLoraAdapter of(PeftVbLoraConfig config, float[][] vectorBank, Collection<VbLoraModule> modules,
      Map<String, StoredTensor> otherTensors) {
    if (vectorBank.length != config.numVectors()) {
      throw new VbLoraException("vector bank has " + vectorBank.length + " vectors but num_vectors is "
          + config.numVectors());
    }
    int b = config.vectorLength();
    float[] flat = new float[vectorBank.length * b];
    for (int i = 0; i < vectorBank.length; i++) {
      if (vectorBank[i].length != b) {
        throw new VbLoraException("vector bank row " + i + " has length " + vectorBank[i].length
            + " but vector_length is " + b);
      }
      System.arraycopy(vectorBank[i], 0, flat, i * b, b);
    }
    return new VbLoraAdapter(config, flat, byPath(modules), otherTensors);
  }

  /** Reads a PEFT VB-LoRA folder (adapter_config.json + adapter_model.safetensors). */
  public static VbLoraAdapter read(Path folder) throws IOException {
    return AdapterFolder.read(folder, VbLoraAdapter.class, PeftVbLoraConfig.PEFT_TYPE);
  }

  /** Writes this adapter as a PEFT folder, all or nothing; see {@link AdapterFolder#write}. */
  public void write(Path folder, boolean overwrite) throws IOException {
    AdapterFolder.write(this, folder, overwrite);
  }

  @Override
  public PeftVbLoraConfig config() {
    return config;
  }

  public int numVectors() {
    return config.numVectors();
  }

  public int vectorLength() {
    return config.vectorLength();
  }

  /** A copy of the bank, [h][b]. */
  public float[][] vectorBank() {
    int b = vectorLength();
    float[][] rows = new float[numVectors()][];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = Arrays.copyOfRange(bank, i * b, (i + 1) * b);
    }
    return rows;
  }

  @Override
  public List<String> modulePaths() {
    return modules.paths();
  }

  public Collection<VbLoraModule> modules() {
    return modules.modules();
  }

  public VbLoraModule module(String path) {
    return modules.module(path);
  }

  @Override
  public Map<String, StoredTensor> otherTensors() {
    return otherTensors;
  }

  /** True when the modules hold only top-k indices and weights (no full logits). */
  public boolean holdsOnlyTopK() {
    return modules.modules().iterator().next().isTopK();
  }

  @Override
  public DeltaWeights deltaWeights(String modulePath) {
    return DeltaWeights.vbLora(module(modulePath), bank, vectorLength(), config.topk());
  }

  @Override
  public ModuleShape moduleShape(String modulePath) {
    VbLoraModule module = module(modulePath);
    return new ModuleShape(module.inFeatures(vectorLength()), module.outFeatures(vectorLength()));
  }

  /** This adapter with every module cut to its top-k choice and save_only_topk_weights set. */
  public VbLoraAdapter toTopK() {
    List<VbLoraModule> cut = new ArrayList<>();
    for (VbLoraModule module : modules.modules()) {
      cut.add(module.toTopK(config.topk()));
    }
    return new VbLoraAdapter(config.withSaveOnlyTopkWeights(true), bank, byPath(cut), otherTensors);
  }

  /** This adapter with another config (e.g. other tool metadata or file layout); validated as in {@code of}. */
  public VbLoraAdapter withConfig(PeftVbLoraConfig newConfig) {
    return new VbLoraAdapter(newConfig, bank, modules, otherTensors);
  }

  /**
   * Stored parameters in float32 equivalents, PEFT's {@code get_nb_savable_parameters} formula: with
   * save_only_topk_weights, bank + (logits/h)*(k-1) weights + (logits/h)*k*f indices, f = 0.25, 0.5, 1 or 2
   * for u8, i16, i32 or i64 indices; otherwise bank + logits.
   */
  public long storedParameterCount() {
    long logits = 0;
    for (VbLoraModule module : modules.modules()) {
      logits += module.logitCount();
    }
    long bankParams = (long) numVectors() * vectorLength();
    if (!config.saveOnlyTopkWeights()) {
      return bankParams + logits;
    }
    double subVectors = (double) logits / numVectors();
    double indexFactor = VbLoraSafetensors.indexDtype(numVectors()).byteSize() / 4.0;
    return (long) (bankParams + subVectors * (config.topk() - 1) + subVectors * config.topk() * indexFactor);
  }

  private void validate() {
    NonFiniteValueException.requireFinite("the vector bank (" + VbLoraSafetensors.BANK_KEY + ")", bank,
        numVectors(), vectorLength());
    boolean topK = holdsOnlyTopK();
    for (VbLoraModule module : modules.modules()) {
      String name = "module " + module.path();
      if (module.isTopK() != topK) {
        throw new VbLoraException(name + " holds " + (topK ? "full logits" : "top-k weights")
            + " while others hold " + (topK ? "top-k weights" : "full logits"));
      }
      if (module.logitsA().numVectors() != numVectors()) {
        throw new VbLoraException(name + " mixes " + module.logitsA().numVectors()
            + " bank vectors but num_vectors is " + numVectors());
      }
      if (module.rank() != config.r()) {
        throw new VbLoraException(name + " has rank " + module.rank() + " but r is " + config.r());
      }
      if (module.logitsA() instanceof TopKLogits a && a.k() != config.topk()) {
        throw new VbLoraException(name + " keeps top-" + a.k() + " but topk is " + config.topk());
      }
    }
    if (topK && !config.saveOnlyTopkWeights()) {
      throw new VbLoraException("the modules hold only top-k weights, so save_only_topk_weights must be "
          + "true (full logits cannot be recovered from top-k weights)");
    }
    for (String key : otherTensors.keySet()) {
      if (VbLoraSafetensors.isAdapterKey(key)) {
        throw new VbLoraException("other tensor \"" + key + "\" would clash with the adapter's own keys");
      }
    }
  }

  private static ModulesByPath<VbLoraModule> byPath(Collection<VbLoraModule> modules) {
    return ModulesByPath.of("a VB-LoRA adapter", modules, VbLoraModule::path);
  }
}

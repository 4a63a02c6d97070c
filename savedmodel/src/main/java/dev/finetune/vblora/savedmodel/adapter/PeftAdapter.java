package dev.finetune.vblora.savedmodel.adapter;

import java.util.List;
import java.util.Map;

/** An adapter as PEFT stores it in a folder: a config plus per-module weights. */
public sealed interface PeftAdapter permits VbLoraAdapter, LoraAdapter {
  AdapterConfig config();

  /** Paths of the adapted modules, in the order they were given or read. */
  List<String> modulePaths();

  /** The weight update of one module; an error naming the known modules when there is none. */
  DeltaWeights deltaWeights(String modulePath);

  /** The size of the kernel one module updates, read from its factors' shapes (the update is not formed). */
  ModuleShape moduleShape(String modulePath);

  /**
   * Tensors of the adapter file that are not adapter weights (e.g. a task head saved via modules_to_save,
   * or biases), by their full key; written back unchanged.
   */
  Map<String, StoredTensor> otherTensors();
}

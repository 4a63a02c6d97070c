package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The adapted modules of one adapter by path, in the order given: at least one, no path twice, and lookups
 * whose error names the paths there are. Immutable.
 *
 * @param <M> the module type (LoRA or VB-LoRA)
 */
final class ModulesByPath<M> {
  private final Map<String, M> byPath;

  private ModulesByPath(Map<String, M> byPath) {
    this.byPath = Collections.unmodifiableMap(byPath);
  }

  /**
   * @param adapterKind names the adapter in the error for no modules, e.g. "a VB-LoRA adapter"
   * @param pathOf a module's path
   */
  static <M> ModulesByPath<M> of(String adapterKind, Collection<M> modules, Function<M, String> pathOf) {
    if (modules.isEmpty()) {
      throw new VbLoraException(adapterKind + " needs at least one adapted module");
    }
    Map<String, M> byPath = new LinkedHashMap<>();
    for (M module : modules) {
      String path = pathOf.apply(module);
      if (byPath.put(path, module) != null) {
        throw new VbLoraException("module " + path + " is given twice");
      }
    }
    return new ModulesByPath<>(byPath);
  }

  List<String> paths() {
    return List.copyOf(byPath.keySet());
  }

  Collection<M> modules() {
    return byPath.values();
  }

  M module(String path) {
    M module = byPath.get(path);
    if (module == null) {
      throw new VbLoraException("no adapted module \"" + path + "\"; the adapter has " + byPath.keySet());
    }
    return module;
  }
}

package dev.finetune.vblora.training;

import dev.finetune.vblora.model.AdapterPlan;
import dev.finetune.vblora.model.Kernel;
import dev.finetune.vblora.model.KernelDiscovery;
import dev.finetune.vblora.model.TargetSelection;
import dev.finetune.vblora.model.TargetSelector;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.training.method.AdapterMethod;
import dev.finetune.vblora.training.method.AdapterSettings;
import java.util.List;
import java.util.function.Function;

/**
 * Plans a run's adapter, the one way train, inspect and bench all do it: discover the adaptable kernels on the
 * signature's serving path, select the targets, and let the method plan its parameters on them.
 */
public final class RunPlanner {
  private RunPlanner() {}

  /** The adapter plan of {@code config}'s selection and method on {@code model}. */
  public static AdapterPlan plan(TrainConfig config, SavedModelInfo model) {
    return plan(model, config.signature(), selection(config), config.method(), config.adapterSettings());
  }

  /** The kernels {@code config} selects: targets, exclude, layers. */
  public static TargetSelection selection(TrainConfig config) {
    return TargetSelection.parse(config.targets(), config.exclude(), config.layers());
  }

  /** Plans {@code config}'s method with its settings on the kernels given. */
  public static Function<List<Kernel>, AdapterPlan> planner(TrainConfig config) {
    return planner(config.method(), config.adapterSettings());
  }

  /**
   * Discovers the kernels of {@code signature}, selects those {@code selection} picks and plans {@code method}
   * on them.
   *
   * @throws IllegalArgumentException for an unknown signature, a selection that matches nothing, or a selected
   *     kernel the method cannot take (e.g. VB-LoRA's vector length does not divide its sizes)
   */
  public static AdapterPlan plan(SavedModelInfo model, String signature, TargetSelection selection,
      AdapterMethod method, AdapterSettings settings) {
    model.signature(signature); // a clear error for an unknown signature
    List<Kernel> kernels = KernelDiscovery.discover(model.metaGraph(), signature);
    return planner(method, settings).apply(TargetSelector.select(kernels, selection));
  }

  /** {@code method}'s plan of any kernels (inspect tries each kernel alone to mark those that do not fit). */
  public static Function<List<Kernel>, AdapterPlan> planner(AdapterMethod method, AdapterSettings settings) {
    return kernels -> method.plan(kernels, settings);
  }
}

package dev.finetune.vblora.training.method;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.model.AdaptedGraph;
import dev.finetune.vblora.model.AdapterPlan;
import dev.finetune.vblora.model.Kernel;
import dev.finetune.vblora.model.ResourceVariable;
import dev.finetune.vblora.savedmodel.adapter.PeftAdapter;
import dev.finetune.vblora.training.export.AdapterExport;
import dev.finetune.vblora.training.export.AdapterManifest;
import dev.finetune.vblora.training.optim.GroupHyperparameters;
import dev.finetune.vblora.training.optim.ParameterGroup;
import dev.finetune.vblora.training.optim.VbLoraGroupSettings;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * An adapter method (VB-LoRA, the LoRA baseline), as PEFT has one tuner class per method: what differs between
 * methods lives in the method's class, never in a branch on its name. A method owns its name, the plan of its
 * parameters on the selected kernels, its optimizer groups, the learning rate the progress reports and its PEFT
 * adapter. A new method is one more implementation listed in {@link #ALL} (with its plan in the model module).
 */
public sealed interface AdapterMethod permits VbLoraMethod, LoraMethod {
  AdapterMethod VBLORA = new VbLoraMethod();
  AdapterMethod LORA = new LoraMethod();
  /** Every method, in the order help texts list them (the default is TrainingDefaults.METHOD). */
  List<AdapterMethod> ALL = List.of(VBLORA, LORA);

  /** The method's name as config.json, checkpoints and the command line spell it. */
  String name();

  /**
   * The method called {@code name} (case-insensitive).
   *
   * @throws IllegalArgumentException naming the methods there are
   */
  static AdapterMethod parse(String name) {
    for (AdapterMethod method : ALL) {
      if (name != null && method.name().equals(name.trim().toLowerCase(Locale.ROOT))) {
        return method;
      }
    }
    throw new InvalidSettingException("method", "the adapter method must be " + names(" or ") + ", got '" + name + "'");
  }

  /** The methods' names joined by {@code separator}, e.g. {@code "vblora|lora"} for a help text. */
  static String names(String separator) {
    return ALL.stream().map(AdapterMethod::name).collect(Collectors.joining(separator));
  }

  /** The method that made {@code plan}. */
  static AdapterMethod of(AdapterPlan plan) {
    return ALL.stream().filter(m -> m.planType().isInstance(plan)).findFirst().orElseThrow(() ->
        new VbLoraException("no adapter method makes plans of type " + plan.getClass().getName()));
  }

  /** The type of the plans {@link #plan} makes. */
  Class<? extends AdapterPlan> planType();

  /** Plans the method's parameters on {@code kernels} (the selected targets, in discovery order). */
  AdapterPlan plan(List<Kernel> kernels, AdapterSettings settings);

  /** The dropout on the adapter's input during training (it decides the automatic update form). */
  double dropout(AdapterSettings settings);

  /**
   * The optimizer's parameter groups: the method's own adapter variables and the new task head's.
   *
   * @param adapted the rewritten graph holding the adapter variables
   * @param head the task head's variables (empty when the run trains the model's own output)
   * @param groups learning rate and weight decay of VB-LoRA's bank and logits and of the head
   * @param loraFactors learning rate and weight decay of LoRA's factors
   */
  List<ParameterGroup> parameterGroups(AdaptedGraph adapted, List<ResourceVariable> head,
      VbLoraGroupSettings groups, GroupHyperparameters loraFactors);

  /** The peak learning rate the progress reports: the group that decides how fast the adapter learns. */
  double reportedLearningRate(VbLoraGroupSettings groups, GroupHyperparameters loraFactors);

  /** Whether the method's manifest must say where each kernel's logits lie in the packed variables. */
  boolean packsLogits();

  /** The PEFT adapter of {@code manifest}'s run with the trained values in {@code parts}. */
  PeftAdapter export(AdapterManifest manifest, AdapterExport.Parts parts);
}

package dev.finetune.vblora.training.method;

import dev.finetune.vblora.model.AdaptedGraph;
import dev.finetune.vblora.model.AdapterPlan;
import dev.finetune.vblora.model.AdapterVariable;
import dev.finetune.vblora.model.Kernel;
import dev.finetune.vblora.model.LoraConfig;
import dev.finetune.vblora.model.LoraPlan;
import dev.finetune.vblora.model.ResourceVariable;
import dev.finetune.vblora.savedmodel.adapter.LoraAdapter;
import dev.finetune.vblora.savedmodel.adapter.LoraModule;
import dev.finetune.vblora.savedmodel.adapter.PeftAdapter;
import dev.finetune.vblora.savedmodel.adapter.PeftLoraConfig;
import dev.finetune.vblora.training.export.AdapterExport;
import dev.finetune.vblora.training.export.AdapterManifest;
import dev.finetune.vblora.savedmodel.export.KernelModulePaths;
import dev.finetune.vblora.training.optim.GroupHyperparameters;
import dev.finetune.vblora.training.optim.ParameterGroup;
import dev.finetune.vblora.training.optim.VbLoraGroupSettings;
import java.util.ArrayList;
import java.util.List;

/**
 * The LoRA baseline: per kernel a down [d_in, r] and an up [r, d_out] factor, scaled by alpha / r. One group
 * for all factors beside the head's; the progress reports the factors' learning rate.
 */
public record LoraMethod() implements AdapterMethod {
  @Override
  public String name() {
    return "lora";
  }

  @Override
  public AdapterPlan plan(List<Kernel> kernels, AdapterSettings settings) {
    return LoraPlan.of(kernels, settings.lora());
  }

  @Override
  public Class<LoraPlan> planType() {
    return LoraPlan.class;
  }

  @Override
  public double dropout(AdapterSettings settings) {
    return settings.lora().dropout();
  }

  @Override
  public List<ParameterGroup> parameterGroups(AdaptedGraph adapted, List<ResourceVariable> head,
      VbLoraGroupSettings groups, GroupHyperparameters loraFactors) {
    List<ResourceVariable> factors = new ArrayList<>(AdapterVariables.of(adapted, AdapterVariable.LORA_DOWN));
    factors.addAll(AdapterVariables.of(adapted, AdapterVariable.LORA_UP));
    List<ParameterGroup> parameterGroups = new ArrayList<>(List.of(ParameterGroup.of("lora", factors, loraFactors)));
    if (!head.isEmpty()) {
      parameterGroups.add(ParameterGroup.of("head", head, groups.head()));
    }
    return parameterGroups;
  }

  @Override
  public double reportedLearningRate(VbLoraGroupSettings groups, GroupHyperparameters loraFactors) {
    return loraFactors.learningRate();
  }

  @Override
  public boolean packsLogits() {
    return false;
  }

  /** PEFT's lora_A = down^T and lora_B = up^T per kernel. */
  @Override
  public PeftAdapter export(AdapterManifest manifest, AdapterExport.Parts parts) {
    LoraConfig lora = manifest.config().lora();
    PeftLoraConfig peft = PeftLoraConfig.builder().r(lora.rank()).loraAlpha(lora.alpha())
        .loraDropout(lora.dropout()).targetModules(parts.targetModules())
        .modulesToSave(parts.modulesToSave()).taskType(parts.taskType())
        .baseModelNameOrPath(manifest.config().model()).toolMetadata(parts.metadata()).build();
    List<LoraModule> modules = new ArrayList<>();
    for (String kernel : parts.kernels()) {
      float[][] down = AdapterExport.matrix(parts.value(kernel, AdapterVariable.LORA_DOWN));
      float[][] up = AdapterExport.matrix(parts.value(kernel, AdapterVariable.LORA_UP));
      modules.add(LoraModule.of(KernelModulePaths.modulePath(kernel), AdapterExport.transpose(down),
          AdapterExport.transpose(up)));
    }
    return LoraAdapter.of(peft, modules, parts.head());
  }
}

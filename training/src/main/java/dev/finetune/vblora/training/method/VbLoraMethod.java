package dev.finetune.vblora.training.method;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.model.AdaptedGraph;
import dev.finetune.vblora.model.AdapterPlan;
import dev.finetune.vblora.model.AdapterVariable;
import dev.finetune.vblora.model.Kernel;
import dev.finetune.vblora.model.LogitsSlice;
import dev.finetune.vblora.model.PackedLogitsLayout;
import dev.finetune.vblora.model.ResourceVariable;
import dev.finetune.vblora.model.VbLoraConfig;
import dev.finetune.vblora.model.VbLoraPlan;
import dev.finetune.vblora.savedmodel.adapter.FullLogits;
import dev.finetune.vblora.savedmodel.adapter.PeftAdapter;
import dev.finetune.vblora.savedmodel.adapter.PeftVbLoraConfig;
import dev.finetune.vblora.savedmodel.adapter.VbLoraAdapter;
import dev.finetune.vblora.savedmodel.adapter.VbLoraModule;
import dev.finetune.vblora.training.export.AdapterExport;
import dev.finetune.vblora.training.export.AdapterManifest;
import dev.finetune.vblora.savedmodel.export.KernelModulePaths;
import dev.finetune.vblora.training.optim.GroupHyperparameters;
import dev.finetune.vblora.training.optim.ParameterGroup;
import dev.finetune.vblora.training.optim.VbLoraGroupSettings;
import dev.finetune.vblora.training.variables.HostTensor;
import java.util.ArrayList;
import java.util.List;

/**
 * VB-LoRA: one vector bank shared by every adapted kernel and per kernel the logits that mix its top-k vectors
 * into each sub-vector of the low-rank factors. Groups bank, logits and head; the progress reports the logits'
 * learning rate (the paper's largest, the one that moves the top-k choice).
 */
public record VbLoraMethod() implements AdapterMethod {
  @Override
  public String name() {
    return "vblora";
  }

  @Override
  public AdapterPlan plan(List<Kernel> kernels, AdapterSettings settings) {
    return VbLoraPlan.of(kernels, settings.vbLora());
  }

  @Override
  public Class<VbLoraPlan> planType() {
    return VbLoraPlan.class;
  }

  @Override
  public double dropout(AdapterSettings settings) {
    return settings.vbLora().dropout();
  }

  @Override
  public List<ParameterGroup> parameterGroups(AdaptedGraph adapted, List<ResourceVariable> head,
      VbLoraGroupSettings groups, GroupHyperparameters loraFactors) {
    return groups.toGroups(AdapterVariables.of(adapted, AdapterVariable.BANK),
        AdapterVariables.of(adapted, AdapterVariable.LOGITS), head);
  }

  @Override
  public double reportedLearningRate(VbLoraGroupSettings groups, GroupHyperparameters loraFactors) {
    return groups.logits().learningRate();
  }

  @Override
  public boolean packsLogits() {
    return true;
  }

  /** The bank and every kernel's logits cut from the packed variables; cut to top-k when the config says so. */
  @Override
  public PeftAdapter export(AdapterManifest manifest, AdapterExport.Parts parts) {
    VbLoraConfig vbLora = manifest.config().vbLora();
    PeftVbLoraConfig peft = PeftVbLoraConfig.builder().r(vbLora.rank()).numVectors(vbLora.numVectors())
        .vectorLength(vbLora.vectorLength()).topk(vbLora.topk()).targetModules(parts.targetModules())
        .saveOnlyTopkWeights(vbLora.saveOnlyTopkWeights()).initVectorBankBound(vbLora.initVectorBankBound())
        .initLogitsStd(vbLora.initLogitsStd()).vbloraDropout(vbLora.dropout())
        .modulesToSave(parts.modulesToSave()).taskType(parts.taskType())
        .baseModelNameOrPath(manifest.config().model()).toolMetadata(parts.metadata()).build();
    AdapterVariable bankVariable = manifest.variables().stream()
        .filter(v -> v.group().equals(AdapterVariable.BANK)).findFirst()
        .orElseThrow(() -> new VbLoraException("the checkpoint has no vector bank; was it a LoRA run?"));
    float[][] bank = AdapterExport.matrix(parts.value(bankVariable));
    PackedLogitsLayout layout = manifest.logitsLayout().orElseThrow();
    HostTensor packedA = parts.value(parts.packedLogits(layout.variableA()));
    HostTensor packedB = parts.value(parts.packedLogits(layout.variableB()));
    float[] valuesA = packedA.toFloats();
    float[] valuesB = packedB.toFloats();
    List<VbLoraModule> modules = new ArrayList<>();
    for (String kernel : parts.kernels()) {
      modules.add(new VbLoraModule(KernelModulePaths.modulePath(kernel),
          logits(layout.a(kernel), valuesA, packedA.shape()), logits(layout.b(kernel), valuesB, packedB.shape())));
    }
    VbLoraAdapter adapter = VbLoraAdapter.of(peft, bank, modules, parts.head());
    return vbLora.saveOnlyTopkWeights() ? adapter.toTopK() : adapter;
  }

  /** One kernel's logits in PEFT's layout ([r, in/b, h] or [out/b, r, h]), cut from the packed variable. */
  private static FullLogits logits(LogitsSlice slice, float[] packed, long[] packedShape) {
    long[] shape = slice.shape(packedShape);
    return new FullLogits(Math.toIntExact(shape[0]), Math.toIntExact(shape[1]), Math.toIntExact(shape[2]),
        slice.cut(packed, packedShape));
  }
}

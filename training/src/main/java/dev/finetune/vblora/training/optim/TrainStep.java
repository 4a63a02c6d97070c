package dev.finetune.vblora.training.optim;

import dev.finetune.vblora.model.ResourceVariable;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TFloating;

/**
 * What {@link AdamW#minimize} added to the graph.
 *
 * @param trainOp run it (as a target) once per batch: gradients, clipping, decay, Adam, then step += 1
 * @param learningRateMultiplier scalar float64 placeholder that must be fed every run with the schedule's
 *     multiplier (e.g. {@link LinearWarmupDecay#multiplier}); each group's lr is its peak lr times this
 * @param globalGradNorm the global L2 norm of all gradients before clipping (fetch it for logs)
 * @param stepCounter int64 scalar: optimizer steps taken so far, incremented after every update
 * @param slots first and second moment per trainable variable, named "optimizer/m/NAME" and
 *     "optimizer/v/NAME"; the step counter is "optimizer/step"
 * @param groups the parameter groups, as given
 */
public record TrainStep(Op trainOp, Operand<TFloat64> learningRateMultiplier,
    Operand<? extends TFloating> globalGradNorm, ResourceVariable stepCounter, List<ResourceVariable> slots,
    List<ParameterGroup> groups) {

  public TrainStep {
    slots = List.copyOf(slots);
    groups = List.copyOf(groups);
  }

  /** Every variable whose value a checkpoint must hold to resume exactly: the slots and the step counter. */
  public List<ResourceVariable> optimizerState() {
    List<ResourceVariable> state = new ArrayList<>(slots);
    state.add(stepCounter);
    return state;
  }

  /** The trained variables of all groups, in group order. */
  public List<ResourceVariable> trainableVariables() {
    return groups.stream().flatMap(g -> g.variables().stream()).toList();
  }
}

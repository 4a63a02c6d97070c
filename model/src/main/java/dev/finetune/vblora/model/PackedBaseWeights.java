package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which frozen base weights of an adapted graph live in packed variables ({@link BaseWeightGroup}).
 *
 * <p>Why: a training step's host work grows with the variables it touches (one VarHandleOp each, and XLA
 * snapshots and marshals every resource argument of its cluster), and BERT-base's serving path reads some 200
 * frozen weights, most of them sharing a handful of shapes (72 [768, 768] kernels, ...). Packed, the step reads
 * one variable per shape and slices row i ({@code StridedSlice} with shrink_axis_mask on axis 0: no copy on CPU
 * and GPU when aligned, a slice and bitcast for XLA), which is exact. {@link AdaptedGraph#restore} fills the
 * packed variables straight from the checkpoint ({@link PackedRestore}); the members' own variables stay in the
 * graph, unfilled, for savers it cannot follow, which restore into them before they are packed and freed.
 *
 * @param groups one per (element type, shape) with two or more members, in graph order
 */
public record PackedBaseWeights(List<BaseWeightGroup> groups) {
  private static final PackedBaseWeights NONE = new PackedBaseWeights(List.of());

  public PackedBaseWeights {
    groups = List.copyOf(groups);
    Map<String, String> seen = new LinkedHashMap<>();
    for (BaseWeightGroup group : groups) {
      for (String member : group.members()) {
        String other = seen.put(member, group.variable());
        if (other != null) {
          throw new VbLoraException("base variable " + member + " is packed in both " + other + " and "
              + group.variable() + "; a variable lives in one packed variable");
        }
      }
    }
  }

  /** No packing: every base weight is read from its own variable. */
  public static PackedBaseWeights none() {
    return NONE;
  }

  /** The group that holds base variable {@code member}, if it is packed. */
  public Optional<BaseWeightGroup> groupOf(String member) {
    return groups.stream().filter(g -> g.members().contains(member)).findFirst();
  }

  /** How many base variables are packed. */
  public int memberCount() {
    return groups.stream().mapToInt(g -> g.members().size()).sum();
  }
}

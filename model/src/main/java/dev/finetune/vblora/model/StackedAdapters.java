package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Several adapters of one model, laid out so that one graph can apply each example's own adapter: every table
 * has one slot per adapter, in {@link #names} order, and one more slot, {@link #BASE}, that holds a zero update.
 * An example picks its slot; the cost of serving it does not depend on how many slots there are.
 *
 * @param names the adapters' names, slot i is names[i]; slot names.size() is {@link #BASE}
 * @param bank the VB-LoRA adapters' vector banks one after another, [total vectors, vectorLength] row-major
 *     (empty when no adapter is VB-LoRA); the top-k indices of {@link KernelSlots#vbLora} point into it
 * @param vectorLength b, the length of every bank vector (0 without VB-LoRA adapters)
 * @param halfPrecisionBank store the bank as float16 in the graph (half the size, values rounded to float16)
 * @param kernels per kernel variable (as {@link Kernel#variable}), every slot's update
 */
public record StackedAdapters(List<String> names, float[] bank, int vectorLength, boolean halfPrecisionBank,
    Map<String, KernelSlots> kernels) {
  /** The reserved choice: the untouched model. */
  public static final String BASE = "base";

  public StackedAdapters {
    names = List.copyOf(names);
    kernels = Collections.unmodifiableMap(new LinkedHashMap<>(kernels));
    if (names.contains(BASE)) {
      throw new VbLoraException("the adapter name \"" + BASE + "\" is reserved for the untouched model;"
          + " give that adapter another name");
    }
    if (names.stream().distinct().count() != names.size()) {
      throw new VbLoraException("adapter names must be unique, got " + names);
    }
    if (vectorLength > 0 && bank.length % vectorLength != 0) {
      throw new VbLoraException("the stacked bank's " + bank.length + " values are not rows of "
          + vectorLength);
    }
    for (Map.Entry<String, KernelSlots> e : kernels.entrySet()) {
      e.getValue().requireSlots(names.size() + 1, e.getKey());
    }
  }

  /** Slots in every table: the adapters and {@link #BASE}. */
  public int slots() {
    return names.size() + 1;
  }

  /** Rows of the stacked bank. */
  public int bankVectors() {
    return vectorLength == 0 ? 0 : bank.length / vectorLength;
  }

  /** Every slot's update of one kernel: VB-LoRA top-k choices, LoRA factors, or both (each slot uses one). */
  public record KernelSlots(Optional<VbLoraSlots> vbLora, Optional<LoraSlots> lora) {
    void requireSlots(int slots, String kernel) {
      if (vbLora.isEmpty() && lora.isEmpty()) {
        throw new VbLoraException("kernel " + kernel + " has no update in any slot");
      }
      vbLora.ifPresent(v -> require(v.slots(), slots, kernel));
      lora.ifPresent(l -> require(l.slots(), slots, kernel));
    }

    private static void require(int had, int slots, String kernel) {
      if (had != slots) {
        throw new VbLoraException("kernel " + kernel + " has " + had + " slots, not " + slots);
      }
    }
  }

  /**
   * Per slot, how each sub-vector of a kernel's VB-LoRA factors mixes bank vectors: the update is
   * x A^T B with A [rank, in] from {@code indicesA}/{@code weightsA} and B [rank, out] from the B tables.
   * A slot that is not VB-LoRA, or a rank or k below the largest, is padded with weight 0.
   *
   * @param rank r (the largest of the slots)
   * @param topk k (the largest of the slots)
   * @param tilesIn in / b: sub-vectors along a row of A
   * @param tilesOut out / b
   * @param indicesA [slots, rank, tilesIn, k] rows of the stacked bank
   * @param weightsA [slots, rank, tilesIn, k]
   * @param indicesB [slots, tilesOut, rank, k] (PEFT's logits_B order: B[tile*b + j][col])
   * @param weightsB [slots, tilesOut, rank, k]
   */
  public record VbLoraSlots(int rank, int topk, int tilesIn, int tilesOut, int[] indicesA, float[] weightsA,
      int[] indicesB, float[] weightsB) {
    public VbLoraSlots {
      int a = rank * tilesIn * topk;
      int b = tilesOut * rank * topk;
      if (a == 0 || b == 0 || indicesA.length % a != 0 || weightsA.length != indicesA.length
          || indicesB.length != indicesA.length / a * b || weightsB.length != indicesB.length) {
        throw new VbLoraException("VB-LoRA tables of rank " + rank + ", k " + topk + ", " + tilesIn
            + " x " + tilesOut + " tiles have inconsistent sizes");
      }
    }

    public int slots() {
      return indicesA.length / (rank * tilesIn * topk);
    }
  }

  /**
   * Per slot, a kernel's LoRA factors: the update is scaling * (x A^T) B^T with PEFT's A [rank, in] and B
   * [out, rank]; stored as {@code down} = A and {@code up} = scaling * B^T, zero for slots that are not LoRA.
   *
   * @param down [slots, rank, in]
   * @param up [slots, rank, out]
   */
  public record LoraSlots(int rank, int in, int out, float[] down, float[] up) {
    public LoraSlots {
      if (rank < 1 || down.length % (rank * in) != 0 || up.length != down.length / in * out) {
        throw new VbLoraException("LoRA tables of rank " + rank + ", " + in + " x " + out
            + " have inconsistent sizes");
      }
    }

    public int slots() {
      return down.length / (rank * in);
    }
  }
}

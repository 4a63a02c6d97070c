package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.ops.LayerShape;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.ToIntFunction;

/**
 * Where each kernel's logits lie in a VB-LoRA adapter's two packed logits variables, in plan order.
 *
 * <p>The rewrite keeps ONE logits_A {@code [r, M, h]} and ONE logits_B {@code [O, r, h]} variable for all kernels,
 * not two per kernel: every kernel's PEFT logits_A {@code [r, in/b, h]} lies side by side along axis 1 and its
 * logits_B {@code [out/b, r, h]} one after the other along axis 0, exactly the packing the fused composition
 * works on (ops.FusedFactorComposition). Why: a training step's host work grows with its variables (one
 * VarHandleOp each, and each is checked before a compiled cluster runs, AdamW adding two slots apiece); 72
 * kernels had 144 logits variables and 288 slots.
 *
 * @param logitsA each kernel's slice of the packed logits_A, contiguous from block 0
 * @param logitsB each kernel's slice of the packed logits_B, for the same kernels in the same order
 */
public record PackedLogitsLayout(List<LogitsSlice> logitsA, List<LogitsSlice> logitsB) {

  public PackedLogitsLayout {
    logitsA = List.copyOf(logitsA);
    logitsB = List.copyOf(logitsB);
    if (logitsA.isEmpty()) {
      throw new VbLoraException("a packed logits layout needs at least one kernel");
    }
    List<String> kernelsA = logitsA.stream().map(LogitsSlice::kernel).toList();
    List<String> kernelsB = logitsB.stream().map(LogitsSlice::kernel).toList();
    if (!kernelsA.equals(kernelsB)) {
      throw new VbLoraException("the packed logits_A holds kernels " + kernelsA + " but logits_B holds "
          + kernelsB + "; both must hold the same kernels in the same order");
    }
    if (kernelsA.stream().distinct().count() != kernelsA.size()) {
      throw new VbLoraException("a kernel appears twice in the packed logits layout: " + kernelsA);
    }
    checkContiguous(logitsA);
    checkContiguous(logitsB);
  }

  /**
   * The layout of {@code layers} (named by their kernels) packed in the given order into {@code variableA} and
   * {@code variableB}, blocks of {@code vectorLength} features.
   */
  public static PackedLogitsLayout of(String variableA, String variableB, List<LayerShape> layers,
      int vectorLength) {
    return new PackedLogitsLayout(slices(variableA, 1, layers, LayerShape::inFeatures, vectorLength),
        slices(variableB, 0, layers, LayerShape::outFeatures, vectorLength));
  }

  /** The kernels, in packing (plan) order. */
  public List<String> kernels() {
    return logitsA.stream().map(LogitsSlice::kernel).toList();
  }

  /** The packed logits_A variable. */
  public String variableA() {
    return logitsA.get(0).variable();
  }

  /** The packed logits_B variable. */
  public String variableB() {
    return logitsB.get(0).variable();
  }

  /** Where {@code kernel}'s logits_A {@code [r, in/b, h]} lie. */
  public LogitsSlice a(String kernel) {
    return find(logitsA, kernel);
  }

  /** Where {@code kernel}'s logits_B {@code [out/b, r, h]} lie. */
  public LogitsSlice b(String kernel) {
    return find(logitsB, kernel);
  }

  private LogitsSlice find(List<LogitsSlice> slices, String kernel) {
    return slices.stream().filter(s -> s.kernel().equals(kernel)).findFirst().orElseThrow(
        () -> new VbLoraException("kernel " + kernel + " has no logits in this adapter; its kernels are "
            + kernels()));
  }

  private static List<LogitsSlice> slices(String variable, int axis, List<LayerShape> layers,
      ToIntFunction<LayerShape> features, int vectorLength) {
    List<LogitsSlice> slices = new ArrayList<>();
    long offset = 0;
    for (LayerShape layer : layers) {
      long blocks = features.applyAsInt(layer) / vectorLength;
      slices.add(new LogitsSlice(layer.name(), variable, axis, offset, blocks));
      offset += blocks;
    }
    return slices;
  }

  private static void checkContiguous(List<LogitsSlice> slices) {
    LogitsSlice first = slices.get(0);
    long next = 0;
    for (LogitsSlice slice : slices) {
      if (!Objects.equals(slice.variable(), first.variable()) || slice.axis() != first.axis()
          || slice.offset() != next) {
        throw new VbLoraException("the logits of " + slice.kernel() + " (" + slice.variable() + ", axis "
            + slice.axis() + ", offset " + slice.offset() + ") do not follow those before them (" + first.variable()
            + ", axis " + first.axis() + ", offset " + next + "); a packed layout is one variable, filled in order");
      }
      next += slice.length();
    }
  }
}

package dev.finetune.vblora.savedmodel.export;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.model.StackedAdapters;
import dev.finetune.vblora.savedmodel.adapter.LoraAdapter;
import dev.finetune.vblora.savedmodel.adapter.LoraModule;
import dev.finetune.vblora.savedmodel.adapter.SubVectorLogits;
import dev.finetune.vblora.savedmodel.adapter.VbLoraAdapter;
import dev.finetune.vblora.savedmodel.adapter.VbLoraModule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Lays several adapters of one model out as {@link StackedAdapters}: VB-LoRA adapters keep their compact form
 * (banks one after another, each module's top-k indices shifted to its adapter's bank, and their weights), LoRA
 * adapters their factors; smaller ranks and k are padded with zero weights, which add nothing.
 *
 * <p>Refused, naming the adapter: two adapters of one name, adapters that update other kernels than the first
 * one does (a multi-adapter model adapts one set of kernels), VB-LoRA adapters of another vector length.
 */
public final class AdapterStacking {
  private AdapterStacking() {}

  public static StackedAdapters stack(List<AdapterChoice> choices, boolean halfPrecisionBank) {
    if (choices.isEmpty()) {
      throw new VbLoraException("a multi-adapter model needs at least one adapter");
    }
    List<String> names = new ArrayList<>();
    for (AdapterChoice choice : choices) {
      if (names.contains(choice.name())) {
        throw new VbLoraException("two adapters are named \"" + choice.name() + "\"; give each its own"
            + " name");
      }
      names.add(choice.name());
    }
    Set<String> kernels = sameKernels(choices);
    int vectorLength = vectorLength(choices);
    List<Integer> offsets = new ArrayList<>();
    List<float[][]> banks = new ArrayList<>();
    int rows = 0;
    for (AdapterChoice choice : choices) {
      offsets.add(rows);
      if (choice.adapter() instanceof VbLoraAdapter v) {
        banks.add(v.vectorBank());
        rows += v.numVectors();
      }
    }
    float[] bank = new float[rows * vectorLength];
    int at = 0;
    for (float[][] b : banks) {
      for (float[] row : b) {
        System.arraycopy(row, 0, bank, at, row.length);
        at += row.length;
      }
    }
    Map<String, StackedAdapters.KernelSlots> slots = new LinkedHashMap<>();
    for (String kernel : kernels) {
      slots.put(kernel, new StackedAdapters.KernelSlots(vbLoraSlots(choices, kernel, offsets, vectorLength),
          loraSlots(choices, kernel)));
    }
    return new StackedAdapters(names, bank, vectorLength, halfPrecisionBank, slots);
  }

  /** The kernel variables of the first adapter, which every other must update too, and no others. */
  private static Set<String> sameKernels(List<AdapterChoice> choices) {
    AdapterChoice first = choices.get(0);
    Set<String> kernels = new TreeSet<>(first.kernelVariables().values());
    for (AdapterChoice choice : choices.subList(1, choices.size())) {
      Set<String> own = new TreeSet<>(choice.kernelVariables().values());
      if (!own.equals(kernels)) {
        Set<String> missing = new TreeSet<>(kernels);
        missing.removeAll(own);
        Set<String> extra = new TreeSet<>(own);
        extra.removeAll(kernels);
        throw new VbLoraException("adapter " + choice.name() + " updates other kernels than adapter "
            + first.name() + (missing.isEmpty() ? "" : "; it lacks " + missing)
            + (extra.isEmpty() ? "" : "; it also updates " + extra) + ". All adapters of one multi-adapter model"
            + " must target the same kernels (train them with the same targets)");
      }
    }
    return new LinkedHashSet<>(first.kernelVariables().values());
  }

  private static int vectorLength(List<AdapterChoice> choices) {
    int length = 0;
    String first = null;
    for (AdapterChoice choice : choices) {
      if (choice.adapter() instanceof VbLoraAdapter v) {
        if (first == null) {
          length = v.vectorLength();
          first = choice.name();
        } else if (v.vectorLength() != length) {
          throw new VbLoraException("adapter " + choice.name() + " has vector_length " + v.vectorLength()
              + " but adapter " + first + " " + length + "; the VB-LoRA adapters of one multi-adapter model"
              + " must share the vector length");
        }
      }
    }
    return length;
  }

  private static String moduleFor(AdapterChoice choice, String kernel) {
    for (Map.Entry<String, String> e : choice.kernelVariables().entrySet()) {
      if (e.getValue().equals(kernel)) {
        return e.getKey();
      }
    }
    throw new IllegalStateException("adapter " + choice.name() + " has no module for " + kernel);
  }

  private static Optional<StackedAdapters.VbLoraSlots> vbLoraSlots(List<AdapterChoice> choices, String kernel,
      List<Integer> offsets, int b) {
    int rank = 0;
    int topk = 0;
    int tilesIn = 0;
    int tilesOut = 0;
    for (AdapterChoice choice : choices) {
      if (choice.adapter() instanceof VbLoraAdapter v) {
        VbLoraModule module = v.module(moduleFor(choice, kernel));
        rank = Math.max(rank, module.rank());
        topk = Math.max(topk, v.config().topk());
        tilesIn = module.inFeatures(b) / b;
        tilesOut = module.outFeatures(b) / b;
      }
    }
    if (rank == 0) {
      return Optional.empty();
    }
    int slots = choices.size() + 1;
    int perA = rank * tilesIn * topk;
    int perB = tilesOut * rank * topk;
    int[] indicesA = new int[slots * perA];
    float[] weightsA = new float[slots * perA];
    int[] indicesB = new int[slots * perB];
    float[] weightsB = new float[slots * perB];
    for (int slot = 0; slot < choices.size(); slot++) {
      AdapterChoice choice = choices.get(slot);
      if (!(choice.adapter() instanceof VbLoraAdapter v)) {
        continue;
      }
      VbLoraModule module = v.module(moduleFor(choice, kernel));
      int k = v.config().topk();
      int offset = offsets.get(slot);
      SubVectorLogits a = module.logitsA();
      for (int row = 0; row < module.rank(); row++) {
        for (int tile = 0; tile < tilesIn; tile++) {
          put(a.mixture(row * a.cols() + tile, k), offset, indicesA, weightsA,
              slot * perA + (row * tilesIn + tile) * topk);
        }
      }
      SubVectorLogits bLogits = module.logitsB();
      for (int tile = 0; tile < tilesOut; tile++) {
        for (int col = 0; col < module.rank(); col++) {
          put(bLogits.mixture(tile * bLogits.cols() + col, k), offset, indicesB, weightsB,
              slot * perB + (tile * rank + col) * topk);
        }
      }
    }
    return Optional.of(new StackedAdapters.VbLoraSlots(rank, topk, tilesIn, tilesOut, indicesA, weightsA, indicesB,
        weightsB));
  }

  private static void put(SubVectorLogits.Mixture mixture, int offset, int[] indices, float[] weights, int at) {
    for (int j = 0; j < mixture.indices().length; j++) {
      indices[at + j] = offset + mixture.indices()[j];
      weights[at + j] = (float) mixture.weights()[j];
    }
  }

  private static Optional<StackedAdapters.LoraSlots> loraSlots(List<AdapterChoice> choices, String kernel) {
    int rank = 0;
    int in = 0;
    int out = 0;
    for (AdapterChoice choice : choices) {
      if (choice.adapter() instanceof LoraAdapter l) {
        LoraModule module = l.module(moduleFor(choice, kernel));
        rank = Math.max(rank, module.rank());
        in = module.inFeatures();
        out = module.outFeatures();
      }
    }
    if (rank == 0) {
      return Optional.empty();
    }
    int slots = choices.size() + 1;
    float[] down = new float[slots * rank * in];
    float[] up = new float[slots * rank * out];
    for (int slot = 0; slot < choices.size(); slot++) {
      AdapterChoice choice = choices.get(slot);
      if (!(choice.adapter() instanceof LoraAdapter l)) {
        continue;
      }
      LoraModule module = l.module(moduleFor(choice, kernel));
      float scaling = (float) l.config().scaling();
      float[] a = module.loraA(); // [r, in]
      float[] b = module.loraB(); // [out, r]
      int r = module.rank();
      System.arraycopy(a, 0, down, slot * rank * in, r * in);
      for (int col = 0; col < r; col++) {
        for (int o = 0; o < out; o++) {
          up[(slot * rank + col) * out + o] = scaling * b[o * r + col];
        }
      }
    }
    return Optional.of(new StackedAdapters.LoraSlots(rank, in, out, down, up));
  }
}

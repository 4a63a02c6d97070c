package dev.finetune.vblora.model;

import java.util.List;

/** What an adapter adds to which kernels, with its parameter counts; made before any graph is touched. */
public sealed interface AdapterPlan permits VbLoraPlan, LoraPlan {
  /** {@code vblora} or {@code lora}, as {@code --method} spells it. */
  String method();

  /** The adapted kernels, in discovery order. */
  List<Kernel> kernels();

  /** Parameters the optimizer updates (adapter only; a task head is not counted). */
  long trainableParams();

  /** Float32-equivalent parameters an adapter file keeps. */
  long storedParams();

  /** Dropout on the adapter's input during training (0: none). */
  double dropout();
}

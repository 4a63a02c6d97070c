package dev.finetune.vblora.model;

import java.util.List;

/**
 * A trainable variable the rewrite added (a resource variable, like the base model's own).
 *
 * @param name the VarHandleOp node, e.g. {@code vblora/vector_bank}; optimizers update it through this handle
 * @param group {@link #BANK}, {@link #LOGITS}, {@link #LORA_DOWN} or {@link #LORA_UP} (learning-rate groups)
 * @param kernel the kernel it adapts (LoRA factors); empty for VB-LoRA's bank and packed logits, which serve
 *     every kernel (see {@link PackedLogitsLayout} for where each kernel's logits lie)
 * @param shape its shape
 * @param value the tensor that reads it, {@code name:0} of its only ReadVariableOp: every use goes through it,
 *     so the loss's gradient with respect to it is the variable's whole gradient
 * @param initialValue the tensor holding its initial value (seeded), which {@link AdaptedGraph#initOp()} assigns
 */
public record AdapterVariable(
    String name, String group, String kernel, List<Long> shape, String value, String initialValue) {
  public static final String BANK = "bank";
  public static final String LOGITS = "logits";
  public static final String LORA_DOWN = "lora_down";
  public static final String LORA_UP = "lora_up";

  public AdapterVariable {
    shape = List.copyOf(shape);
  }

  /** Number of elements. */
  public long size() {
    return shape.stream().mapToLong(Long::longValue).reduce(1L, Math::multiplyExact);
  }
}

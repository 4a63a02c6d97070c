package dev.finetune.vblora.savedmodel.adapter;

/**
 * The size of the kernel one adapted module updates, as the adapter's stored factors give it, without forming
 * the update.
 *
 * @param inFeatures the kernel's input size
 * @param outFeatures the kernel's output size
 */
public record ModuleShape(int inFeatures, int outFeatures) {}

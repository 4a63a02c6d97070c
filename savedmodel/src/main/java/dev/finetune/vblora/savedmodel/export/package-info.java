/**
 * The deploy path: base SavedModel + adapter folder -> merged SavedModel, with no training code.
 * {@link dev.finetune.vblora.savedmodel.export.MergedModel#merge MergedModel.merge} is the entry point;
 * {@link dev.finetune.vblora.savedmodel.export.AdapterDeltas} computes each adapted kernel's update in plain Java
 * (finding the kernel through {@link dev.finetune.vblora.savedmodel.export.KernelModulePaths}) and
 * {@link dev.finetune.vblora.savedmodel.export.MergedExporter} writes W + delta, and the task head if the adapter
 * carries one, into a copy of the base model.
 */
package dev.finetune.vblora.savedmodel.export;

/**
 * The compact adapter file, compatible with Hugging Face PEFT: adapter_config.json ({@link
 * dev.finetune.vblora.savedmodel.adapter.AdapterConfig}) plus adapter_model.safetensors ({@link
 * dev.finetune.vblora.savedmodel.adapter.SafetensorsReader}, {@link
 * dev.finetune.vblora.savedmodel.adapter.SafetensorsWriter}), for VB-LoRA ({@link
 * dev.finetune.vblora.savedmodel.adapter.VbLoraAdapter}) and the LoRA baseline ({@link
 * dev.finetune.vblora.savedmodel.adapter.LoraAdapter}); delta weights in plain Java ({@link
 * dev.finetune.vblora.savedmodel.adapter.DeltaWeights}); TF-name to module-path mapping ({@link
 * dev.finetune.vblora.savedmodel.adapter.ModulePathMapping}); all-or-nothing folder writes ({@link
 * dev.finetune.vblora.savedmodel.adapter.AtomicDirectoryWriter}). Plain Java, no TensorFlow.
 */
package dev.finetune.vblora.savedmodel.adapter;

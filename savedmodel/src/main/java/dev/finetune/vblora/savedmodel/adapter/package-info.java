/**
 * The compact adapter file, compatible with Hugging Face PEFT: adapter_config.json ({@link
 * dev.finetune.vblora.savedmodel.adapter.AdapterConfig}) plus adapter_model.safetensors ({@link
 * dev.finetune.vblora.savedmodel.adapter.SafetensorsReader}, {@link
 * dev.finetune.vblora.savedmodel.adapter.SafetensorsWriter}), for VB-LoRA ({@link
 * dev.finetune.vblora.savedmodel.adapter.VbLoraAdapter}) and the LoRA baseline ({@link
 * dev.finetune.vblora.savedmodel.adapter.LoraAdapter}), with this tool's own record in vblora_metadata.json
 * beside them ({@link dev.finetune.vblora.savedmodel.adapter.ToolMetadata}); delta weights in plain Java ({@link
 * dev.finetune.vblora.savedmodel.adapter.DeltaWeights}); TF-name to module-path mapping ({@link
 * dev.finetune.vblora.savedmodel.adapter.ModulePathMapping}); all-or-nothing folder writes ({@link
 * dev.finetune.vblora.data.io.AtomicDirectoryWriter}). Plain Java, no TensorFlow.
 */
package dev.finetune.vblora.savedmodel.adapter;

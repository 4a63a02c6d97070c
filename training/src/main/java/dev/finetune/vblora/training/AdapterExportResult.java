package dev.finetune.vblora.training;

import java.nio.file.Path;

/**
 * What {@link VbLora#exportAdapter} wrote.
 *
 * @param out the adapter folder (adapter_config.json, adapter_model.safetensors, vblora_metadata.json)
 * @param step the training step of the checkpoint it came from
 */
public record AdapterExportResult(Path out, long step) {}

/**
 * From trained variables to a PEFT adapter folder (AdapterExport, with the AdapterManifest saved beside every
 * checkpoint). The way back, adapter folder to merged SavedModel, is the deploy path and lives in savedmodel's
 * export package (MergedModel.merge), which needs nothing of training.
 */
package dev.finetune.vblora.training.export;

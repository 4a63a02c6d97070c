/**
 * Text in, tensor-ready int arrays out.
 *
 * <p>{@link dev.finetune.vblora.data.DatasetReader} reads a TSV, CSV or JSONL file through a
 * {@link dev.finetune.vblora.data.ColumnMapping} into a {@link dev.finetune.vblora.data.Dataset} of labelled
 * examples (classification with a {@link dev.finetune.vblora.data.LabelSet}, or regression);
 * {@link dev.finetune.vblora.data.TrainValidationSplit} holds out a validation part. The
 * {@code tokenizer} package turns texts into BERT ids exactly as Hugging Face does, and the {@code batch}
 * package encodes a dataset once and cuts it into padded, reproducibly shuffled batches. Unusable data
 * files are {@link dev.finetune.vblora.data.DataFileException}s whose messages are meant for the user.
 *
 * <p>This module depends on no other module of the project and on no library.
 */
package dev.finetune.vblora.data;

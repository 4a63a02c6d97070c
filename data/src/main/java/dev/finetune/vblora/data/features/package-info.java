/** Data of models whose inputs are feature arrays (time series, tabular, embeddings): JSONL, one array per input. */
package dev.finetune.vblora.data.features;

/** The raw rows of TSV, CSV (RFC 4180) and JSONL files, before any column mapping. */
package dev.finetune.vblora.data.table;

/** A minimal strict JSON reader (and string quoting), so that the data module needs no library. */
package dev.finetune.vblora.data.json;

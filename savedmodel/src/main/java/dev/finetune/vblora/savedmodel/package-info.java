/** vblora savedmodel. */
package dev.finetune.vblora.savedmodel;

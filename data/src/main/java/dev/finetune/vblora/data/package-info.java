/** vblora data. */
package dev.finetune.vblora.data;

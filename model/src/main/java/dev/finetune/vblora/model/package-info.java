/** vblora model. */
package dev.finetune.vblora.model;

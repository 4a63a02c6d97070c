/**
 * Resource variables of the training graph and moving their values between a Session and Java memory
 * (what checkpoints save and resumes restore).
 */
package dev.finetune.vblora.training.variables;

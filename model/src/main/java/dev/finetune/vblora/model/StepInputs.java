package dev.finetune.vblora.model;

/**
 * How a training step gets its inputs: fed with each session call, or read from device staging (see {@link
 * StepStaging}).
 */
public enum StepInputs {
  /** Every value is fed with the step's session call (placeholders without a default). */
  FED,
  /** Every value a step would be fed defaults to its staged row; feeding still works. */
  STAGED
}

package dev.finetune.vblora.training.listen;

/**
 * One finished optimizer step.
 *
 * @param step steps completed so far, counting this one (1 for the first update)
 * @param epoch 0-based epoch the step belongs to
 * @param loss the batch's training loss (before the update)
 * @param learningRate learning-rate multiplier times the reference group's peak rate, as applied
 * @param examplesPerSecond training throughput over recent steps
 * @param gradNorm global gradient norm before clipping (NaN when not measured)
 */
public record StepReport(long step, int epoch, double loss, double learningRate, double examplesPerSecond,
    double gradNorm) {}

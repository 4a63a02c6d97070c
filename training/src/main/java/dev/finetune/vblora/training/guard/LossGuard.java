package dev.finetune.vblora.training.guard;

import java.util.Locale;

/**
 * Stops a run at the first NaN or infinite loss. The update of that step has already spread NaN into the
 * trained variables in memory, so nothing may be saved after it: stopping here keeps the last good
 * checkpoint the newest one, and a resume starts from sound weights.
 */
public final class LossGuard {
  private LossGuard() {}

  /**
   * @param step the step the loss belongs to
   * @param loss the loss just computed
   * @param lastGoodCheckpoint description of the newest checkpoint (e.g. its folder), or null when none
   *     was saved yet
   * @throws NonFiniteLossException when {@code loss} is NaN or infinite
   */
  public static void check(long step, double loss, String lastGoodCheckpoint) {
    if (Double.isFinite(loss)) {
      return;
    }
    String kept = lastGoodCheckpoint == null
        ? "No checkpoint had been saved yet, so there is nothing to resume from: start the run again with"
            + " overwrite."
        : "The last good checkpoint is kept: " + lastGoodCheckpoint + "; continue from it with resume.";
    throw new NonFiniteLossException(message(step, loss, kept), step, loss);
  }

  /**
   * The same stop for a run whose folder is thrown away because it was to replace a previous run (train
   * --overwrite): its checkpoints go with it, so the message says what is kept instead.
   *
   * @param kept what the user still has, as a sentence without the final period
   */
  public static NonFiniteLossException discarded(NonFiniteLossException stop, String kept) {
    return new NonFiniteLossException(message(stop.step(), stop.loss(), "Nothing of this run is kept: " + kept + "."),
        stop.step(), stop.loss());
  }

  private static String message(long step, double loss, String kept) {
    return String.format(Locale.ROOT,
        "training loss is %s at step %d; training stopped and nothing from this step on is saved. %s"
            + " Lower the learning rates (lrBank, lrLogits, lrLora, lrHead), keep gradient clipping on"
            + " (maxGradNorm), and check the data for extreme or missing labels.",
        Double.isNaN(loss) ? "NaN" : (loss > 0 ? "+infinity" : "-infinity"), step, kept);
  }
}

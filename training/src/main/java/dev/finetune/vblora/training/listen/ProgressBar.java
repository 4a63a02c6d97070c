package dev.finetune.vblora.training.listen;

import dev.finetune.vblora.data.Counted;
import dev.finetune.vblora.data.error.VbLoraException;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A one-line progress display: step/total, a bar, loss, learning rate, examples per second and ETA. On a
 * terminal the line is redrawn in place ('\r'); into a log file it prints a line every few steps instead.
 */
public final class ProgressBar implements TrainingListener {
  private static final int BAR_WIDTH = 20;

  private final PrintStream out;
  private final LongSupplier nanoClock;
  private final boolean interactive;
  private final long lineEverySteps;
  private TrainingPlan plan;
  private long startNanos;
  private int lastLength;

  /**
   * @param out where to draw (stderr in the CLI)
   * @param nanoClock monotonic time in nanoseconds (System::nanoTime; a fake in tests)
   * @param interactive redraw one line in place rather than printing lines
   * @param lineEverySteps when not interactive, print every this many steps (and the last one)
   */
  public ProgressBar(PrintStream out, LongSupplier nanoClock, boolean interactive, long lineEverySteps) {
    if (lineEverySteps < 1) {
      throw new VbLoraException("progress lines every " + lineEverySteps + " steps: must be >= 1");
    }
    this.out = out;
    this.nanoClock = nanoClock;
    this.interactive = interactive;
    this.lineEverySteps = lineEverySteps;
  }

  /** On stderr, redrawn in place when a console is attached, else a line every 50 steps. */
  public static ProgressBar onStderr() {
    return new ProgressBar(System.err, System::nanoTime, System.console() != null, 50);
  }

  @Override
  public void onStart(TrainingPlan plan) {
    this.plan = plan;
    this.startNanos = nanoClock.getAsLong();
    // Steps set by max steps would otherwise read as "2 steps (1 epoch x 25 steps)"
    boolean bySteps = plan.totalSteps() != plan.epochs() * plan.stepsPerEpoch();
    out.printf(Locale.ROOT, "training %s (%s, batch %d)%s%n", Counted.of(plan.totalSteps(), "step"), bySteps
        ? "set by max steps; an epoch is " + Counted.of(plan.stepsPerEpoch(), "step")
        : Counted.of(plan.epochs(), "epoch") + " x " + Counted.of(plan.stepsPerEpoch(), "step"), plan.batchSize(),
        plan.startStep() > 0 ? ", resuming at step " + plan.startStep() : "");
  }

  @Override
  public void onStep(StepReport step) {
    if (plan == null) {
      throw new IllegalStateException("onStep before onStart: the progress bar needs the plan first");
    }
    boolean last = step.step() >= plan.totalSteps();
    if (!interactive && step.step() % lineEverySteps != 0 && !last) {
      return;
    }
    String line = render(step);
    if (interactive) {
      out.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
      lastLength = line.length();
      if (last) {
        endLine();
      }
    } else {
      out.println(line);
    }
    out.flush();
  }

  @Override
  public void onEvaluation(EvaluationReport evaluation) {
    endLine();
    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "eval at step %d (%d examples):",
        evaluation.step(), evaluation.examples()));
    for (Map.Entry<String, Double> metric : evaluation.metrics().entrySet()) {
      line.append(String.format(Locale.ROOT, " %s %.4f", metric.getKey(), metric.getValue()));
    }
    out.println(line.append(evaluation.best() ? " (best so far)" : ""));
    out.flush();
  }

  @Override
  public void onEnd(TrainingSummary summary) {
    endLine();
    out.printf(Locale.ROOT, "done: %s, %.1f ms/step%s%n", Counted.of(summary.steps(), "step"), summary.stepMillis(),
        summary.bestStep() >= 0 ? ", best at step " + summary.bestStep() : "");
    out.flush();
  }

  String render(StepReport step) {
    long total = plan.totalSteps();
    double fraction = Math.min(1.0, (double) step.step() / total);
    int filled = (int) Math.round(fraction * BAR_WIDTH);
    int digits = Long.toString(total).length();
    return String.format(Locale.ROOT, "step %" + digits + "d/%d |%s%s| %3.0f%% loss %.4f lr %.2e %.1f ex/s ETA %s",
        step.step(), total, "#".repeat(filled), ".".repeat(BAR_WIDTH - filled), fraction * 100, step.loss(),
        step.learningRate(), step.examplesPerSecond(), eta(step.step()));
  }

  private String eta(long step) {
    long done = step - plan.startStep();
    double elapsed = (nanoClock.getAsLong() - startNanos) / 1e9;
    if (done <= 0 || elapsed <= 0) {
      return "?";
    }
    long seconds = Math.round((plan.totalSteps() - step) * elapsed / done);
    return seconds >= 3600
        ? String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60)
        : String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
  }

  private void endLine() {
    if (interactive && lastLength > 0) {
      out.println();
      lastLength = 0;
    }
  }
}

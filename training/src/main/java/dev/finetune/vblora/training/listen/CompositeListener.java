package dev.finetune.vblora.training.listen;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Forwards every event to several listeners, in order. */
public final class CompositeListener implements TrainingListener {
  private final List<TrainingListener> listeners;

  public CompositeListener(List<? extends TrainingListener> listeners) {
    this.listeners = List.copyOf(listeners);
  }

  @Override
  public void onStart(TrainingPlan plan) {
    listeners.forEach(l -> l.onStart(plan));
  }

  @Override
  public void onStep(StepReport step) {
    listeners.forEach(l -> l.onStep(step));
  }

  @Override
  public void onEvaluation(EvaluationReport evaluation) {
    listeners.forEach(l -> l.onEvaluation(evaluation));
  }

  @Override
  public void onCheckpoint(long step, Path dir) {
    listeners.forEach(l -> l.onCheckpoint(step, dir));
  }

  @Override
  public void onEnd(TrainingSummary summary) {
    listeners.forEach(l -> l.onEnd(summary));
  }

  /** Closes every listener even when one fails; the first failure is thrown with the others suppressed. */
  @Override
  public void close() throws IOException {
    Exception first = null;
    for (TrainingListener l : listeners) {
      try {
        l.close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first instanceof IOException io) {
      throw io;
    }
    if (first instanceof RuntimeException runtime) {
      throw runtime;
    }
    if (first != null) {
      throw new IOException(first);
    }
  }
}

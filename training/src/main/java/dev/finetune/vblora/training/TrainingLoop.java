package dev.finetune.vblora.training;

import dev.finetune.vblora.data.batch.Batch;
import dev.finetune.vblora.data.batch.Batcher;
import dev.finetune.vblora.training.checkpoint.CheckpointRef;
import dev.finetune.vblora.training.device.CompileTracker;
import dev.finetune.vblora.training.listen.EvaluationReport;
import dev.finetune.vblora.training.listen.StepReport;
import dev.finetune.vblora.training.listen.TrainingListener;
import dev.finetune.vblora.training.listen.TrainingPlan;
import dev.finetune.vblora.training.listen.TrainingSummary;
import dev.finetune.vblora.training.optim.LinearWarmupDecay;
import dev.finetune.vblora.training.timing.Phase;
import dev.finetune.vblora.training.timing.RunClock;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.tensorflow.Session;

/**
 * The optimizer steps of one run: batches in, listeners told of every step, an evaluation and a checkpoint every
 * evalEvery steps, and at the end the best checkpoint's weights restored into the session. It never prints.
 */
final class TrainingLoop {
  /** Prepared batches waiting for the loop; two cover a step whose input build time varies. */
  private static final int PREFETCH_DEPTH = 2;
  /**
   * Steps staged on the device at once (see {@link StagedSteps}): the losses are read back, and the listeners
   * told, once per group. 256 steps of 32 x 128 token ids are 3 MB a slot.
   */
  static final int STAGED_GROUP = 256;

  private final TrainConfig config;
  private final TrainingGraph graph;
  private final Session session;
  private final TrainingData data;
  private final RunCheckpoints checkpoints;
  private final RunClock clock;
  private final CompileTracker compiles = CompileTracker.forThisProcess();
  private CompletableFuture<CompileTracker.Compilations> evaluationCompile =
      CompletableFuture.completedFuture(CompileTracker.Compilations.NONE);
  private final LinearWarmupDecay schedule;
  private final List<Double> stepMillis = new ArrayList<>();
  private Map<String, Double> finalMetrics = Map.of();
  private double bestValue = Double.NaN;

  TrainingLoop(TrainConfig config, TrainingGraph graph, Session session, TrainingData data,
      RunCheckpoints checkpoints, RunClock clock) {
    this.config = config;
    this.graph = graph;
    this.session = session;
    this.data = data;
    this.checkpoints = checkpoints;
    this.clock = clock;
    this.schedule = new LinearWarmupDecay(config.warmupRatio());
  }

  /** Trains from {@code start} to the last step and leaves the best weights in the session. */
  TrainingSummary run(RunCheckpoints.Start start, TrainingListener listeners) throws IOException {
    Batcher batcher = new Batcher(data.train(),
        BatchShapes.training(config.batchSize(), data.buckets(), config.seed(), config.xlaEnabled()));
    long perEpoch = batcher.batchesPerEpoch();
    long total = config.maxSteps() > 0 ? config.maxSteps() : config.epochs() * perEpoch;
    long evalEvery = config.evalEvery() > 0 ? config.evalEvery() : perEpoch;
    long step = start.step();
    bestValue = start.bestValue();
    finalMetrics = start.metrics();
    listeners.onStart(new TrainingPlan(total, step, (int) ((total + perEpoch - 1) / perEpoch), perEpoch,
        config.batchSize(), data.train().size()));
    evaluationCompile = compileEvaluationAside();
    // The next batches' feed tensors are built on a background thread while the session runs this step.
    try (BatchPrefetcher<Batch, StepFeeds> prefetcher = new BatchPrefetcher<>(batches(batcher, step, total),
        batch -> StepFeeds.of(batch, graph.spec().io().inputs()), PREFETCH_DEPTH)) {
      Optional<StagedSteps> staged = graph.staging();
      if (staged.isPresent()) {
        step = runStaged(staged.get(), prefetcher, listeners, step, total, perEpoch, evalEvery);
      } else {
        step = runFed(prefetcher, listeners, step, total, perEpoch, evalEvery);
      }
    } finally {
      evaluationCompile.join(); // a loop that stops early must not close the session under that call
    }
    return restoreBest(step);
  }

  /** One session call per step, each feeding its batch and fetching its loss. Returns the step reached. */
  private long runFed(BatchPrefetcher<Batch, StepFeeds> prefetcher, TrainingListener listeners, long step,
      long total, long perEpoch, long evalEvery) throws IOException {
    while (step < total) {
      double multiplier = schedule.multiplier(step, total);
      TrainingGraph.StepResult result;
      int batchSize;
      long begin;
      long waitStart = clock.now();
      try (StepFeeds feeds = prefetcher.take()) {
        batchSize = feeds.batch().examples();
        begin = System.nanoTime();
        result = graph.trainStep(session, feeds, multiplier, compiles);
      }
      double millis = (System.nanoTime() - begin) / 1e6;
      clock.since(Phase.TRAIN, waitStart);
      if (compiles.bookTo(clock, Phase.TRAIN).count() == 0) {
        stepMillis.add(millis); // a step that compiled is no step time
      }
      step++;
      listeners.onStep(new StepReport(step, (int) ((step - 1) / perEpoch), result.loss(),
          multiplier * config.reportedLearningRate(), batchSize * 1000.0 / millis, result.gradNorm()));
      if (step % evalEvery == 0 || step == total) {
        bookAside();
        evaluateAndSave(listeners, step, perEpoch);
      }
    }
    return step;
  }

  /**
   * Steps in groups of up to {@link #STAGED_GROUP} batches of one shape (see {@link StagedSteps}): one call
   * stages a group's batches on the device, one call per step feeds and fetches nothing, and one call reads the
   * group's losses back, after which the listeners hear of its steps. While the device runs a group, the host
   * builds the next. A group ends where an evaluation is due, so evaluations and checkpoints fall on the same
   * steps as in a fed run, with the same weights. Returns the step reached.
   */
  private long runStaged(StagedSteps staged, BatchPrefetcher<Batch, StepFeeds> prefetcher,
      TrainingListener listeners, long step, long total, long perEpoch, long evalEvery) throws IOException {
    GroupSource source = new GroupSource(staged, prefetcher, total, evalEvery,
        (int) Math.min(STAGED_GROUP, Math.min(evalEvery, Math.max(1, total - step))));
    PendingGroup next = null;
    try {
      next = source.next(step);
      while (next != null) {
        try (PendingGroup current = next) {
          next = null;
          long waitStart = clock.now();
          long begin = System.nanoTime();
          Batch shape = current.feeds().get(0).batch();
          staged.stage(session, current.group(), compiles);
          staged.step(session, compiles, shape.size(), shape.sequenceLength());
          long firstStep = System.nanoTime();
          for (int i = 1; i < current.steps(); i++) {
            staged.step(session, compiles, shape.size(), shape.sequenceLength());
          }
          next = source.next(step + current.steps()); // built while the device runs this group
          List<TrainingGraph.StepResult> results = staged.results(session, current.steps());
          long end = System.nanoTime();
          clock.since(Phase.TRAIN, waitStart);
          step = report(current, results, listeners, perEpoch, compiles.bookTo(clock, Phase.TRAIN).count() > 0,
              end - begin, end - firstStep);
        }
        if (step % evalEvery == 0 || step == total) {
          bookAside();
          evaluateAndSave(listeners, step, perEpoch);
        }
      }
    } finally {
      if (next != null) {
        next.close();
      }
      source.close();
    }
    return step;
  }

  /**
   * Tells the listeners of a group's steps; returns the step reached. A group whose first call compiled times
   * its other steps only: a step that compiled is no step time.
   */
  private long report(PendingGroup group, List<TrainingGraph.StepResult> results, TrainingListener listeners,
      long perEpoch, boolean compiled, long groupNanos, long afterFirstNanos) {
    int n = group.steps();
    double millis = !compiled ? groupNanos / 1e6 / n : n > 1 ? afterFirstNanos / 1e6 / (n - 1) : Double.NaN;
    for (int i = 0; i < n; i++) {
      if (!Double.isNaN(millis) && (!compiled || i > 0)) {
        stepMillis.add(millis);
      }
      TrainingGraph.StepResult result = results.get(i);
      long reached = group.firstStep() + i + 1;
      listeners.onStep(new StepReport(reached, (int) ((reached - 1) / perEpoch), result.loss(),
          group.multipliers()[i] * config.reportedLearningRate(),
          group.feeds().get(i).batch().examples() * 1000.0 / millis, result.gradNorm()));
    }
    return group.firstStep() + n;
  }

  /** A group of steps built and stacked, waiting to be staged; closing it closes its tensors. */
  private record PendingGroup(long firstStep, List<StepFeeds> feeds, double[] multipliers, StagedGroup group)
      implements AutoCloseable {
    int steps() {
      return feeds.size();
    }

    @Override
    public void close() {
      try {
        group.close();
      } finally {
        feeds.forEach(StepFeeds::close);
      }
    }
  }

  /**
   * Cuts the prefetched batches into groups: up to {@code capacity} consecutive batches of one shape, ending where
   * an evaluation is due. A batch of a new shape is carried over to start the next group.
   */
  private final class GroupSource implements AutoCloseable {
    private final StagedSteps staged;
    private final BatchPrefetcher<Batch, StepFeeds> prefetcher;
    private final long total;
    private final long evalEvery;
    private final int capacity;
    private StepFeeds carried;

    GroupSource(StagedSteps staged, BatchPrefetcher<Batch, StepFeeds> prefetcher, long total, long evalEvery,
        int capacity) {
      this.staged = staged;
      this.prefetcher = prefetcher;
      this.total = total;
      this.evalEvery = evalEvery;
      this.capacity = capacity;
    }

    /** The group that starts at step {@code first}, or null after the last step. */
    PendingGroup next(long first) {
      if (first >= total) {
        return null;
      }
      long end = Math.min(total, Math.min(first + capacity, (first / evalEvery + 1) * evalEvery));
      List<StepFeeds> feeds = new ArrayList<>();
      try {
        if (carried != null) {
          feeds.add(carried);
          carried = null;
        }
        while (first + feeds.size() < end) {
          StepFeeds feed = prefetcher.take();
          if (!feeds.isEmpty() && !sameShape(feeds.get(0), feed)) {
            carried = feed;
            break;
          }
          feeds.add(feed);
        }
        double[] multipliers = new double[feeds.size()];
        for (int i = 0; i < multipliers.length; i++) {
          multipliers[i] = schedule.multiplier(first + i, total);
        }
        return new PendingGroup(first, feeds, multipliers,
            StagedGroup.of(staged.layout(), feeds, multipliers, capacity));
      } catch (RuntimeException e) {
        feeds.forEach(StepFeeds::close);
        throw e;
      }
    }

    @Override
    public void close() {
      if (carried != null) {
        carried.close();
        carried = null;
      }
    }
  }

  private static boolean sameShape(StepFeeds a, StepFeeds b) {
    return a.batch().size() == b.batch().size() && a.batch().sequenceLength() == b.batch().sequenceLength();
  }

  /** The best checkpoint's weights put back into the session (the last step's stay when none was saved). */
  private TrainingSummary restoreBest(long lastStep) throws IOException {
    Optional<CheckpointRef> best = checkpoints.best();
    Map<String, Double> bestMetrics = finalMetrics;
    if (best.isPresent()) {
      long restoreStart = clock.now();
      bestMetrics = checkpoints.restore(best.get(), graph, session);
      clock.since(Phase.CHECKPOINTS, restoreStart);
    }
    return new TrainingSummary(lastStep, best.map(CheckpointRef::step).orElse(lastStep), bestMetrics,
        finalMetrics, median(stepMillis));
  }

  /** The training batches of steps {@code first} to {@code total - 1}, epoch after epoch. */
  private static Iterator<Batch> batches(Batcher batcher, long first, long total) {
    long perEpoch = batcher.batchesPerEpoch();
    return new Iterator<>() {
      private long next = first;
      private Iterator<Batch> epoch = Collections.emptyIterator();

      @Override
      public boolean hasNext() {
        return next < total;
      }

      @Override
      public Batch next() {
        if (!hasNext()) {
          throw new NoSuchElementException("training ends after step " + total);
        }
        if (!epoch.hasNext()) {
          epoch = batcher.epoch((int) (next / perEpoch), (int) (next % perEpoch));
        }
        next++;
        return epoch.next();
      }
    };
  }

  private void evaluateAndSave(TrainingListener listeners, long step, long perEpoch) throws IOException {
    Map<String, Double> metrics = timedPredictions(() -> Evaluation.metrics(data.validBatches(),
        batch -> graph.predict(session, batch, compiles), data.labelNames().size(), data.task()));
    double value = checkpoints.rule().valueIn(metrics);
    boolean best = checkpoints.rule().isBetter(value, bestValue);
    if (best) {
      bestValue = value;
    }
    finalMetrics = metrics;
    listeners.onEvaluation(new EvaluationReport(step, data.valid().size(), metrics, best));
    long saveStart = clock.now();
    CheckpointRef ref = checkpoints.save(graph, session, step, perEpoch, metrics);
    clock.since(Phase.CHECKPOINTS, saveStart);
    listeners.onCheckpoint(step, ref.dir());
  }

  /**
   * What the adapted training graph computes on the validation set with the session's weights, for comparing
   * the merged model with.
   */
  PredictionTable validationPredictions() {
    return timedPredictions(() ->
        PredictionTable.empty(PredictionTable.columnsFor(data.labelNames()), data.valid().size())
            .fill(data.validBatches(), batch -> graph.predict(session, batch, compiles)));
  }

  /**
   * With XLA, the evaluation's batch shape is compiled on another thread while the first training steps run
   * (TensorFlow sessions take calls from several threads; XLA compiles on the host's cores while the device
   * trains), so that the first evaluation finds it compiled. The prediction itself is thrown away. A failure
   * here is left for the evaluation to report.
   */
  private CompletableFuture<CompileTracker.Compilations> compileEvaluationAside() {
    if (!config.xlaEnabled() || data.validBatches().isEmpty()) {
      return CompletableFuture.completedFuture(CompileTracker.Compilations.NONE);
    }
    Batch first = data.validBatches().get(0);
    compiles.markSeen("predict", first.size(), first.sequenceLength());
    return CompletableFuture.supplyAsync(() -> {
      CompileTracker aside = CompileTracker.forThisProcess();
      try {
        graph.predict(session, first, aside);
      } catch (RuntimeException e) {
        return CompileTracker.Compilations.NONE;
      }
      return aside.takeCompilations();
    });
  }

  /**
   * Waits for {@link #compileEvaluationAside()} and books its compilations, once: counted and timed, but
   * overlapping the train phase. Also called when the loop ends early, so that no call is left running in a
   * session about to close.
   */
  private void bookAside() {
    CompileTracker.Compilations compiled = evaluationCompile.join();
    evaluationCompile = CompletableFuture.completedFuture(CompileTracker.Compilations.NONE);
    clock.compiledAside(compiled.count(), compiled.fromCache(), compiled.nanos());
  }

  /** Runs {@code predictions} (session calls that predict), booking its time to evaluation and compilation. */
  private <T> T timedPredictions(Supplier<T> predictions) {
    long start = clock.now();
    T result = predictions.get();
    clock.since(Phase.EVAL, start);
    compiles.bookTo(clock, Phase.EVAL);
    return result;
  }

  static double median(List<Double> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}

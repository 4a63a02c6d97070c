package dev.finetune.vblora.training.checkpoint;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.training.metrics.BestCheckpointRule;
import dev.finetune.vblora.training.variables.HostTensor;
import dev.finetune.vblora.data.io.AtomicDirectoryWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The checkpoints of one run, in DIR/checkpoints/step-N/ (tensors.json, tensors.bin, state.json).
 *
 * <p>A checkpoint is written into a hidden temporary folder and published with one atomic rename, so
 * step-N either exists complete or not at all; leftovers of an interrupted save are removed when the store
 * is opened. After each save only the newest {@code keepLast} checkpoints and the best one (by the
 * rule's metric in state.json) are kept.
 */
public final class CheckpointStore {
  public static final String STATE_FILE = "state.json";
  private static final String PREFIX = "step-";
  private static final Pattern STEP_FOLDER = Pattern.compile("step-(\\d+)");
  private static final String TEMP_PREFIX = ".tmp-";

  private final Path root;
  private final int keepLast;
  private final BestCheckpointRule rule;

  private CheckpointStore(Path root, int keepLast, BestCheckpointRule rule) {
    this.root = root;
    this.keepLast = keepLast;
    this.rule = rule;
  }

  /**
   * Opens (creating if needed) OUTPUT_DIR/checkpoints and removes unfinished saves left by a crash.
   *
   * @param keepLast how many of the newest checkpoints to keep (>= 1)
   * @param rule picks the best checkpoint, which is kept as well; null keeps only the newest
   */
  public static CheckpointStore open(Path outputDir, int keepLast, BestCheckpointRule rule) throws IOException {
    if (keepLast < 1) {
      throw new VbLoraException("keep-last " + keepLast + " must be at least 1: the newest checkpoint"
          + " is what a resume starts from");
    }
    Path root = outputDir.resolve("checkpoints");
    Files.createDirectories(root);
    try (Stream<Path> entries = Files.list(root)) {
      // Hidden entries are unfinished saves and prunes (ours and AtomicDirectoryWriter's .step-N.tmp-*).
      for (Path leftover : entries.filter(p -> p.getFileName().toString().startsWith(".")).toList()) {
        AtomicDirectoryWriter.deleteTree(leftover);
      }
    }
    return new CheckpointStore(root, keepLast, rule);
  }

  public Path root() {
    return root;
  }

  /** Saves a checkpoint for {@code state.step()}, replacing one of the same step, then prunes old ones. */
  public CheckpointRef save(Map<String, HostTensor> tensors, TrainingState state) throws IOException {
    Path target = root.resolve(PREFIX + state.step());
    // Written into a hidden sibling, forced to disk and renamed into place: a crash leaves the previous
    // checkpoint or the new one, never half of one.
    AtomicDirectoryWriter.write(target, true, folder -> {
      TensorFile.write(folder, tensors);
      Files.writeString(folder.resolve(STATE_FILE), state.toJson(), StandardCharsets.UTF_8);
    });
    prune();
    return new CheckpointRef(state.step(), target);
  }

  /** Saved checkpoints, oldest first. */
  public List<CheckpointRef> list() throws IOException {
    return list(root);
  }

  /**
   * The newest checkpoint in OUTPUT_DIR/checkpoints, found without changing anything there (unlike
   * {@link #open}, which creates the folder and removes leftovers): for checking a run before writing to it.
   */
  public static Optional<CheckpointRef> latestIn(Path outputDir) throws IOException {
    Path root = outputDir.resolve("checkpoints");
    if (!Files.isDirectory(root)) {
      return Optional.empty();
    }
    List<CheckpointRef> refs = list(root);
    return refs.isEmpty() ? Optional.empty() : Optional.of(refs.get(refs.size() - 1));
  }

  private static List<CheckpointRef> list(Path root) throws IOException {
    List<CheckpointRef> refs = new ArrayList<>();
    try (Stream<Path> entries = Files.list(root)) {
      for (Path dir : entries.toList()) {
        Matcher m = STEP_FOLDER.matcher(dir.getFileName().toString());
        if (m.matches() && Files.isRegularFile(dir.resolve(STATE_FILE))) {
          refs.add(new CheckpointRef(Long.parseLong(m.group(1)), dir));
        }
      }
    }
    refs.sort(Comparator.comparingLong(CheckpointRef::step));
    return refs;
  }

  /**
   * The newest complete checkpoint of the run in {@code outputDir}, read without touching the folder (unlike
   * {@link #open}, which tidies it): safe while the run is still writing, e.g. from a shutdown hook.
   */
  public static Optional<CheckpointRef> newestIn(Path outputDir) throws IOException {
    Path root = outputDir.resolve("checkpoints");
    return Files.isDirectory(root) ? new CheckpointStore(root, 1, null).latest() : Optional.empty();
  }

  /** The newest checkpoint: where a resume starts. */
  public Optional<CheckpointRef> latest() throws IOException {
    List<CheckpointRef> refs = list();
    return refs.isEmpty() ? Optional.empty() : Optional.of(refs.get(refs.size() - 1));
  }

  /** The checkpoint with the best metric by the rule (the earliest among equals); empty without a rule. */
  public Optional<CheckpointRef> best() throws IOException {
    if (rule == null) {
      return Optional.empty();
    }
    CheckpointRef best = null;
    double bestValue = Double.NaN;
    for (CheckpointRef ref : list()) {
      Double value = readState(ref.dir()).metrics().get(rule.metric());
      if (value != null && (best == null || rule.isBetter(value, bestValue))) {
        best = ref;
        bestValue = value;
      }
    }
    return Optional.ofNullable(best);
  }

  /**
   * Loads the newest checkpoint, {@code latest}, for a resume. A damaged one stops the resume with an error
   * that names the newest older checkpoint that loads intact and how to resume from it. We do not fall back
   * on our own: the resume's pruning would then delete the damaged checkpoint, which the user may want to
   * inspect or repair (a file made unreadable by its permissions looks damaged too), and a silent fallback
   * retrains steps the user believes done. The folder is left as it was.
   */
  public Checkpoint loadForResume(CheckpointRef latest) throws IOException {
    try {
      return load(latest);
    } catch (IOException | IllegalArgumentException e) {
      throw new IOException("the newest checkpoint " + latest.dir() + " is damaged (" + e.getMessage() + "); "
          + olderIntact(latest).map(older -> "the older checkpoint " + older.dir() + " (step " + older.step()
              + ") is intact: to resume from it, move the damaged one out of " + root + " (mv " + latest.dir()
              + " " + root.resolveSibling("damaged-" + latest.dir().getFileName()) + ") and resume again")
          .orElse("no older checkpoint is intact: start the run afresh"), e);
    }
  }

  /**
   * As {@link #loadForResume(CheckpointRef)}, for the run folder {@code outputDir} that is only read: nothing is
   * created or removed (a resume is checked before anything is written).
   */
  public static Checkpoint loadForResume(Path outputDir, CheckpointRef latest) throws IOException {
    return new CheckpointStore(outputDir.resolve("checkpoints"), 1, null).loadForResume(latest);
  }

  /** The newest checkpoint before {@code damaged} that loads with every checksum right. */
  private Optional<CheckpointRef> olderIntact(CheckpointRef damaged) throws IOException {
    List<CheckpointRef> refs = list();
    for (int i = refs.size() - 1; i >= 0; i--) {
      CheckpointRef ref = refs.get(i);
      if (ref.step() < damaged.step()) {
        try {
          load(ref);
          return Optional.of(ref);
        } catch (IOException | IllegalArgumentException e) {
          // damaged as well: look further back
        }
      }
    }
    return Optional.empty();
  }

  public Checkpoint load(CheckpointRef ref) throws IOException {
    return load(ref.dir());
  }

  /** Loads a checkpoint folder (of this store or any other), verifying every tensor's checksum. */
  public static Checkpoint load(Path dir) throws IOException {
    if (!Files.isRegularFile(dir.resolve(STATE_FILE))) {
      throw new IOException(dir + " is not a checkpoint (no " + STATE_FILE + "); point to a step-N folder");
    }
    return new Checkpoint(TensorFile.read(dir), readState(dir));
  }

  private static TrainingState readState(Path dir) throws IOException {
    Path file = dir.resolve(STATE_FILE);
    try {
      return TrainingState.fromJson(Files.readString(file, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) { // JsonException, or values TrainingState refuses
      throw new IOException(file + " is not a readable training state (" + e.getMessage() + "); the checkpoint"
          + " is damaged, resume from another one", e);
    }
  }

  private void prune() throws IOException {
    List<CheckpointRef> refs = list();
    Set<Long> keep = new HashSet<>();
    for (int i = Math.max(0, refs.size() - keepLast); i < refs.size(); i++) {
      keep.add(refs.get(i).step());
    }
    best().ifPresent(ref -> keep.add(ref.step()));
    for (CheckpointRef ref : refs) {
      if (!keep.contains(ref.step())) {
        // Rename first so that a crash mid-delete leaves a hidden leftover, not a half checkpoint.
        Path doomed = root.resolve(TEMP_PREFIX + "pruned-" + ref.dir().getFileName());
        moveAtomically(ref.dir(), doomed);
        AtomicDirectoryWriter.deleteTree(doomed);
      }
    }
  }

  private static void moveAtomically(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("the file system of " + to.getParent() + " cannot rename atomically; put the output"
          + " folder on a local disk", e);
    }
  }

}

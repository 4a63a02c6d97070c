package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.training.checkpoint.CheckpointRef;
import dev.finetune.vblora.training.checkpoint.CheckpointStore;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What {@code vblora train} says when it is stopped (Ctrl-C: SIGINT, exit status 130): the last checkpoint and
 * the exact command that continues the run from it, or, before the first checkpoint or when the run was to replace
 * an earlier one (--overwrite), the command that starts it again. Printed by a shutdown hook that is registered only while the run is going.
 */
final class InterruptNotice {
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./:=,@%+-]+");

  private InterruptNotice() {}

  /**
   * Registers the notice for the run in {@code out}, started with {@code args} (options after the command).
   *
   * @return the hook, for {@link #unregister} once the run has ended by itself
   */
  static Thread register(Path out, List<String> args, boolean replacing, PrintStream err) {
    Thread hook = new Thread(() -> err.println(replacing ? discarded(out, args) : message(out, args)),
        "vblora-interrupt-notice");
    Runtime.getRuntime().addShutdownHook(hook);
    return hook;
  }

  static void unregister(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // The JVM is already exiting (the hook runs or has run): nothing to undo.
    }
  }

  /** The notice for the run in {@code out}, started as {@code vblora train ARGS}. */
  static String message(Path out, List<String> args) {
    Optional<CheckpointRef> newest;
    try {
      newest = CheckpointStore.newestIn(out);
    } catch (IOException e) {
      return "vblora train: interrupted; cannot read " + out.resolve("checkpoints") + " (" + e.getMessage() + ")";
    }
    if (newest.isEmpty()) {
      return "vblora train: interrupted before the first checkpoint, so there is nothing to resume; start the run"
          + " again with:\n  " + command(args, "--overwrite", "--resume");
    }
    return "vblora train: interrupted; the last checkpoint is " + newest.get().dir() + " (step "
        + newest.get().step() + "); continue the run from it with:\n  " + command(args, "--resume", "--overwrite");
  }

  /**
   * The notice for a run that was to replace the run in {@code out} (--overwrite): it was trained in a staging
   * folder that goes with the process, so {@code out}'s checkpoints are the previous run's, which stays as it was.
   */
  static String discarded(Path out, List<String> args) {
    return "vblora train: interrupted; the new run is discarded (with --overwrite it replaces " + out + " only once"
        + " it has finished), and " + out + " still holds the previous run, unchanged; start the new run again"
        + " with:\n  " + command(args, "--overwrite", "--resume");
  }

  /** {@code vblora train ARGS} with flag {@code with} present and flag {@code without} absent, shell-quoted. */
  private static String command(List<String> args, String with, String without) {
    List<String> words = new ArrayList<>(List.of("vblora", "train"));
    args.stream().filter(a -> !a.equals(with) && !a.equals(without)).forEach(words::add);
    words.add(with);
    return words.stream().map(InterruptNotice::quoted).collect(Collectors.joining(" "));
  }

  private static String quoted(String word) {
    return PLAIN.matcher(word).matches() ? word : "'" + word.replace("'", "'\\''") + "'";
  }
}

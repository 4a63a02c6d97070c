package dev.finetune.vblora.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.training.testing.CliRun;
import dev.finetune.vblora.training.testing.FourStepRun;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a resume leaves after a fault (issue 14, items 9 and 11), on short real runs of {@code vblora train}
 * (BERT-base, 4 steps of 4 sentences, evaluated and checkpointed every 2): the log and the curves of a resumed
 * run are those of a run that never stopped, and a damaged newest checkpoint names the intact older one.
 */
class ResumeAfterFaultTest {
  private static final int STEPS = FourStepRun.STEPS;
  private static FourStepRun run;
  @TempDir
  static Path dir;

  @BeforeAll
  static void trainStraight() throws IOException {
    run = FourStepRun.trainIn(dir);
  }

  /**
   * A crash in step 4 (a full disk, say) comes after step 3 was logged but before its next checkpoint; the resume
   * starts again at step 2. It used to log step 3 twice and to draw only steps 3 and 4.
   */
  @Test
  void aResumeAfterACrashPastItsCheckpointLogsEachStepOnceAndDrawsTheWholeRun() throws Exception {
    Path crashed = dir.resolve("crashed");
    run.crashAt(crashed, STEPS);
    assertTrue(logEntries(crashed).contains("step 3"), "the crashed run logged step 3: " + logEntries(crashed));

    CliRun resumed = CliRun.of(run.args(crashed, "--resume"));
    assertEquals(0, resumed.status(), resumed.toString());
    assertTrue(resumed.err().contains("resuming at step 2"), resumed.err());

    assertEquals(logEntries(run.straight()), logEntries(crashed));
    assertSamePicture(run.straight().resolve("curves.png"), crashed.resolve("curves.png"));
  }

  /** A crash after the last checkpoint (in the export, say): the resume only exports, and drew an empty chart. */
  @Test
  void aResumeAtTheLastStepKeepsTheCurvesOfTheWholeRun() throws Exception {
    Path finished = copyOfStraight("finished");
    CliRun resumed = CliRun.of(run.args(finished, "--resume"));
    assertEquals(0, resumed.status(), resumed.toString());

    assertEquals(logEntries(run.straight()), logEntries(finished));
    assertSamePicture(run.straight().resolve("curves.png"), finished.resolve("curves.png"));
  }

  /**
   * A damaged newest checkpoint (tensors.bin cut short) stops the resume with the older checkpoint that is intact
   * and how to resume from it, and leaves the checkpoints byte for byte as they were.
   */
  @Test
  void aDamagedNewestCheckpointStopsTheResumeNamingTheIntactOlderOne() throws Exception {
    Path damaged = copyOfStraight("damaged");
    Path checkpoints = damaged.resolve("checkpoints");
    Path newest = checkpoints.resolve("step-" + STEPS);
    Path older = checkpoints.resolve("step-2");
    if (!Files.exists(older)) { // kept as the best checkpoint; if step 4 was the best, a copy stands in for it
      copyTree(newest, older);
    }
    Path data = newest.resolve("tensors.bin");
    Files.write(data, java.util.Arrays.copyOf(Files.readAllBytes(data), 100));
    Map<String, String> before = checksums(checkpoints);

    CliRun resumed = CliRun.of(run.args(damaged, "--resume"));
    assertEquals(1, resumed.status(), resumed.toString());
    assertTrue(resumed.err().contains(newest + " is damaged"), resumed.err());
    assertTrue(resumed.err().contains("the older checkpoint " + older + " (step 2) is intact"), resumed.err());
    assertTrue(resumed.err().contains("mv " + newest + " " + damaged.resolve("damaged-step-" + STEPS)), resumed.err());
    assertFalse(resumed.err().contains("\tat "), "no stack trace:\n" + resumed.err());
    // Only the checkpoints: the resume rewrites config.json before it looks at them (issue 14 item 3, fixed
    // with the run-folder checks, not here).
    assertEquals(before, checksums(checkpoints), "a failed resume leaves every checkpoint as it was");
  }

  /** The run's log as "step N" and "eval N" entries, in file order (values differ only in their timings). */
  private static List<String> logEntries(Path run) throws IOException {
    List<String> entries = new ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("log.jsonl"))) {
      Map<String, Object> entry = Json.parseObject(line);
      entries.add((entry.containsKey("eval") ? "eval " : "step ") + Json.getLong(entry, "step"));
    }
    return entries;
  }

  /** The same curves: at most 0.5% of the pixels differ (losses agree to 1e-6, not bit for bit). */
  private static void assertSamePicture(Path expected, Path actual) throws IOException {
    BufferedImage a = ImageIO.read(expected.toFile());
    BufferedImage b = ImageIO.read(actual.toFile());
    assertEquals(a.getWidth(), b.getWidth());
    assertEquals(a.getHeight(), b.getHeight());
    long differ = 0;
    for (int y = 0; y < a.getHeight(); y++) {
      for (int x = 0; x < a.getWidth(); x++) {
        if (a.getRGB(x, y) != b.getRGB(x, y)) {
          differ++;
        }
      }
    }
    assertTrue(differ <= a.getWidth() * a.getHeight() / 200, differ + " pixels of " + actual + " differ from "
        + expected);
  }

  /** The straight run without its exports (merged/ is BERT-sized), as a crash during the export leaves it. */
  private static Path copyOfStraight(String name) throws IOException {
    Path copy = dir.resolve(name);
    copyTree(run.straight(), copy);
    for (String export : List.of("merged", "adapter")) {
      deleteTree(copy.resolve(export));
    }
    // What a crash before the end leaves: metrics.json is written last, and a run that has it is finished.
    Files.delete(copy.resolve("metrics.json"));
    return copy;
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path p : paths.filter(p -> !p.startsWith(from.resolve("merged"))).toList()) {
        Files.copy(p, to.resolve(from.relativize(p).toString()));
      }
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (Files.exists(root)) {
      try (Stream<Path> paths = Files.walk(root)) {
        for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  private static Map<String, String> checksums(Path root) throws Exception {
    Map<String, String> sums = new TreeMap<>();
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.toList()) {
        sums.put(root.relativize(p).toString(), Files.isRegularFile(p)
            ? HexFormat.of().formatHex(sha.digest(Files.readAllBytes(p))) : "folder");
      }
    }
    return sums;
  }
}

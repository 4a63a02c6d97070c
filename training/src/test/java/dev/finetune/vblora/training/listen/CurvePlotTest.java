package dev.finetune.vblora.training.listen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CurvePlotTest {

  @Test
  void writesAPngOfTheRequestedSizeWithBothCurves(@TempDir Path dir) throws IOException {
    Path png = dir.resolve("plots/curves.png");
    CurvePlot plot = new CurvePlot(png, 640, 480, "accuracy");
    for (int step = 1; step <= 50; step++) {
      plot.onStep(new StepReport(step, 0, 1.0 / step, 1e-3, 10, Double.NaN));
      if (step % 10 == 0) {
        plot.onEvaluation(new EvaluationReport(step, 20, Map.of("accuracy", 0.5 + step / 200.0), false));
      }
    }
    plot.onEnd(new TrainingSummary(50, 50, Map.of(), Map.of(), 1));

    byte[] bytes = Files.readAllBytes(png);
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, Arrays.copyOf(bytes, 8),
        "PNG signature");
    BufferedImage image = ImageIO.read(png.toFile());
    assertEquals(640, image.getWidth());
    assertEquals(480, image.getHeight());
    assertTrue(countColor(image, 0, 240, 0x1f77b4) > 50, "loss curve drawn in the top panel");
    assertTrue(countColor(image, 240, 480, 0xd62728) > 20, "metric curve drawn in the bottom panel");
    assertEquals(0, countColor(image, 240, 480, 0x1f77b4), "no loss curve in the metric panel");
    try (var files = Files.list(png.getParent())) {
      assertEquals(1, files.count(), "no temporary files left behind");
    }
  }

  /** A resumed run's picture is the picture of the whole run: its history comes from the log. */
  @Test
  void aResumedPlotDrawsTheLoggedHistoryLikeARunThatNeverStopped(@TempDir Path dir) throws IOException {
    Path whole = dir.resolve("whole.png");
    CurvePlot straight = new CurvePlot(whole, 640, 480, "accuracy");
    Path logFile = dir.resolve("log.jsonl");
    try (JsonlLog log = JsonlLog.appendingTo(logFile, 1)) {
      for (int step = 1; step <= 40; step++) {
        StepReport report = new StepReport(step, 0, 1.0 / step, 1e-3, 10, 1);
        straight.onStep(report);
        EvaluationReport evaluation = new EvaluationReport(step, 20, Map.of("accuracy", 0.5 + step / 200.0), false);
        if (step % 10 == 0) {
          straight.onEvaluation(evaluation);
        }
        if (step <= 20) { // the first run stopped after step 20; the resumed one continues from there
          log.onStep(report);
          if (step % 10 == 0) {
            log.onEvaluation(evaluation);
          }
        }
      }
    }
    Path resumedPng = dir.resolve("resumed.png");
    CurvePlot resumed = new CurvePlot(resumedPng, 640, 480, "accuracy").withHistory(JsonlLog.read(logFile));
    for (int step = 21; step <= 40; step++) {
      resumed.onStep(new StepReport(step, 0, 1.0 / step, 1e-3, 10, 1));
      if (step % 10 == 0) {
        resumed.onEvaluation(new EvaluationReport(step, 20, Map.of("accuracy", 0.5 + step / 200.0), false));
      }
    }
    BufferedImage expected = ImageIO.read(whole.toFile());
    BufferedImage actual = ImageIO.read(resumedPng.toFile());
    for (int y = 0; y < expected.getHeight(); y++) {
      for (int x = 0; x < expected.getWidth(); x++) {
        assertEquals(expected.getRGB(x, y), actual.getRGB(x, y), "pixel " + x + "," + y);
      }
    }
  }

  private static int countColor(BufferedImage image, int fromY, int toY, int rgb) {
    int count = 0;
    for (int y = fromY; y < toY; y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        if ((image.getRGB(x, y) & 0xFFFFFF) == rgb) {
          count++;
        }
      }
    }
    return count;
  }
}

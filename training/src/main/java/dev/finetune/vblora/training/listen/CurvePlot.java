package dev.finetune.vblora.training.listen;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.io.AtomicFile;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * A PNG with two panels: the training loss over steps, and one validation metric over steps. Redrawn
 * after each evaluation and at the end, so an interrupted run still leaves a current picture. Drawn into a
 * BufferedImage, which needs no display (works with java.awt.headless=true).
 */
public final class CurvePlot implements TrainingListener {
  private static final Color LOSS_COLOR = new Color(0x1f, 0x77, 0xb4);
  private static final Color METRIC_COLOR = new Color(0xd6, 0x27, 0x28);
  private static final int MARGIN_LEFT = 70;
  private static final int MARGIN = 30;

  private final Path file;
  private final int width;
  private final int height;
  private final String metric;
  private final List<double[]> loss = new ArrayList<>();
  private final List<double[]> metricValues = new ArrayList<>();

  /**
   * @param file the PNG to (re)write
   * @param metric the validation metric to plot, e.g. the best-checkpoint rule's
   */
  public CurvePlot(Path file, int width, int height, String metric) {
    if (width < 200 || height < 200) {
      throw new VbLoraException("curve plot of " + width + "x" + height + " is too small; use at least"
          + " 200x200");
    }
    this.file = file;
    this.width = width;
    this.height = height;
    this.metric = metric;
  }

  /**
   * Adds the curves a run drew before it was resumed, from its {@link JsonlLog} entries: without them a
   * resumed run's picture started at the resume, and a resume at the last step drew an empty chart.
   */
  public CurvePlot withHistory(List<Map<String, Object>> logEntries) {
    for (Map<String, Object> entry : logEntries) {
      double step = ((Number) entry.get("step")).doubleValue();
      if (entry.get("loss") instanceof Number lossValue) {
        loss.add(new double[] {step, lossValue.doubleValue()});
      }
      if (entry.get("eval") instanceof Map<?, ?> eval && eval.get(metric) instanceof Number value) {
        metricValues.add(new double[] {step, value.doubleValue()});
      }
    }
    return this;
  }

  @Override
  public void onStep(StepReport step) {
    if (Double.isFinite(step.loss())) {
      loss.add(new double[] {step.step(), step.loss()});
    }
  }

  /** Set once drawing failed for want of native font support; the picture is then skipped. */
  private boolean unavailable;

  @Override
  public void onEvaluation(EvaluationReport evaluation) {
    Double value = evaluation.metrics().get(metric);
    if (value != null && Double.isFinite(value)) {
      metricValues.add(new double[] {evaluation.step(), value});
    }
    write();
  }

  @Override
  public void onEnd(TrainingSummary summary) {
    write();
  }

  /** Renders the current curves and replaces the file atomically (a viewer never sees half a PNG). */
  public void write() {
    if (unavailable) {
      return;
    }
    BufferedImage image;
    try {
      image = render();
    } catch (LinkageError | java.awt.AWTError e) {
      // A JRE without working font libraries (e.g. a jlink'd runtime on a server) cannot draw text: the run
      // must go on without its picture rather than die at its first evaluation.
      unavailable = true;
      return;
    }
    try {
      AtomicFile.write(file, temp -> ImageIO.write(image, "png", temp.toFile()));
    } catch (IOException e) {
      throw new UncheckedIOException("could not write the curve plot " + file + ": " + e.getMessage(), e);
    }
  }

  BufferedImage render() {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, width, height);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      int panel = height / 2;
      double[] steps = stepRange();
      drawPanel(g, 0, panel, "training loss", loss, LOSS_COLOR, steps);
      drawPanel(g, panel, height - panel, "validation " + metric, metricValues, METRIC_COLOR, steps);
    } finally {
      g.dispose();
    }
    return image;
  }

  /** Both panels share one step axis, so a metric point sits under the loss at the same step. */
  private double[] stepRange() {
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    for (List<double[]> series : List.of(loss, metricValues)) {
      if (!series.isEmpty()) {
        min = Math.min(min, series.get(0)[0]);
        max = Math.max(max, series.get(series.size() - 1)[0]);
      }
    }
    return new double[] {min, max > min ? max : min + 1};
  }

  private void drawPanel(Graphics2D g, int top, int panelHeight, String title, List<double[]> points,
      Color color, double[] steps) {
    int left = MARGIN_LEFT;
    int right = width - MARGIN;
    int y0 = top + MARGIN;
    int y1 = top + panelHeight - MARGIN;
    g.setColor(Color.BLACK);
    g.drawString(title, left, top + MARGIN - 8);
    g.setColor(Color.GRAY);
    g.drawRect(left, y0, right - left, y1 - y0);
    if (points.isEmpty()) {
      g.drawString("no data yet", left + 10, (y0 + y1) / 2);
      return;
    }
    double minX = steps[0];
    double maxX = steps[1];
    double minY = Double.POSITIVE_INFINITY;
    double maxY = Double.NEGATIVE_INFINITY;
    for (double[] p : points) {
      minY = Math.min(minY, p[1]);
      maxY = Math.max(maxY, p[1]);
    }
    if (maxY == minY) {
      maxY += 0.5;
      minY -= 0.5;
    }
    g.setColor(Color.DARK_GRAY);
    g.drawString(String.format(Locale.ROOT, "%.4g", maxY), 4, y0 + 10);
    g.drawString(String.format(Locale.ROOT, "%.4g", minY), 4, y1);
    g.drawString("step " + (long) minX, left, y1 + 15);
    String last = "step " + (long) maxX;
    g.drawString(last, right - g.getFontMetrics().stringWidth(last), y1 + 15);
    g.setColor(color);
    g.setStroke(new BasicStroke(1.5f));
    int prevX = -1;
    int prevY = -1;
    for (double[] p : points) {
      int x = left + (int) Math.round((p[0] - minX) / (maxX - minX) * (right - left));
      int y = y1 - (int) Math.round((p[1] - minY) / (maxY - minY) * (y1 - y0));
      if (prevX >= 0) {
        g.drawLine(prevX, prevY, x, y);
      }
      if (points.size() <= 60) {
        g.fillOval(x - 2, y - 2, 4, 4);
      }
      prevX = x;
      prevY = y;
    }
  }
}

package dev.finetune.vblora.training.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.TextExample;
import dev.finetune.vblora.training.EvaluationConfig;
import dev.finetune.vblora.training.EvaluationResult;
import dev.finetune.vblora.training.MergeConfig;
import dev.finetune.vblora.training.MergeResult;
import dev.finetune.vblora.training.TrainConfig;
import dev.finetune.vblora.training.Trainer;
import dev.finetune.vblora.training.TrainingExamples;
import dev.finetune.vblora.training.TrainingResult;
import dev.finetune.vblora.training.VbLora;
import dev.finetune.vblora.training.listen.StepReport;
import dev.finetune.vblora.training.listen.TrainingListener;
import dev.finetune.vblora.training.testing.Bert;
import dev.finetune.vblora.training.testing.DemoFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "Use from Java" example is the code between the markers below, run as it stands on BERT-base on
 * the CPU (a few steps at a short length), and the README's block must equal it: the example cannot drift.
 */
class ReadmeExampleTest {
  private static final String BEGIN = "// README example: begin";
  private static final String END = "// README example: end";
  private static final Path THIS_FILE =
      Path.of("src/test/java/dev/finetune/vblora/training/example/ReadmeExampleTest.java");
  private static final Path README = Path.of("../README.md");

  @TempDir
  Path dir;

  @Test
  void theExampleTrainsExportsAndMergesAtDeployTimeWhatTrainMerged() throws Exception {
    Bert.folder(); // the built-in model, fetched for tests (the library never downloads)
    List<TextExample> examples = Files.readAllLines(DemoFiles.train(dir, 20)).stream().skip(1)
        .map(line -> line.split("\t")).map(cells -> TextExample.of(cells[0], cells[1])).toList();
    Path runDir = dir.resolve("run");
    Path servedDir = dir.resolve("served");
    List<Long> steps = new ArrayList<>();
    TrainingListener progress = new TrainingListener() {
      @Override
      public void onStep(StepReport step) {
        steps.add(step.step());
      }
    };

    // README example: begin
    // Train on labelled texts (List<TextExample>, e.g. TextExample.of("a fine film", "1")), or on a file:
    // .train(Path.of("train.tsv")) with the columns "sentence" and "label". Every default is `vblora train`'s;
    // a bad setting fails with its name, e.g. "lrBank must be a finite number > 0, got -1.0".
    TrainConfig config = TrainConfig.builder()
        .model("bert-base-uncased")            // a built-in name or a SavedModel folder
        .maxSteps(2).batchSize(4).maxLength(16) // a quick look; leave them out for the real run
        .out(runDir)
        .build();
    TrainingResult run = VbLora.train(config, TrainingExamples.of(examples), progress);
    System.out.println("best " + run.bestMetrics() + ", adapter in " + run.adapter() + ", merged model in "
        + run.merged());

    // Deploy: one base model, many small adapters, merged where the model is served (no training code runs).
    MergeResult served = VbLora.merge(MergeConfig.builder()
        .model("bert-base-uncased")
        .adapter(run.adapter())
        .out(servedDir)
        .build());
    System.out.println("merged " + served.kernels() + " kernels into " + served.out());
    // README example: end

    assertEquals(List.of(1L, 2L), steps, "the listener saw every step");
    assertTrue(run.bestMetrics().containsKey("accuracy"), run.bestMetrics().toString());
    assertEquals(24, served.kernels(), "bert-qv: query and value of 12 layers");
    assertTrue(served.head(), "the adapter carries the new classification head");
    // The merged model scores the held-out examples, given from memory, as the training graph scored them.
    List<TextExample> heldOut = Files.readAllLines(run.out().resolve(Trainer.VALID_SPLIT)).stream().skip(1)
        .map(line -> line.split("\t")).map(cells -> TextExample.of(cells[0], cells[1])).toList();
    EvaluationResult scores = VbLora.evaluate(EvaluationConfig.builder().model(served.out()).maxLength(16).build(),
        heldOut);
    assertEquals(heldOut.size(), scores.examples());
    assertEquals(run.finalMetrics().get("accuracy"), scores.metrics().get("accuracy"));
    // The base model with the adapter, merged for the scoring as vblora eval --adapter does, scores the same; the
    // model by its built-in name, as train and merge took it.
    EvaluationResult withAdapter = VbLora.evaluate(EvaluationConfig.builder().model(Path.of("bert-base-uncased"))
        .adapter(run.adapter()).maxLength(16).build(), heldOut);
    assertEquals(scores.metrics(), withAdapter.metrics());
    assertEquals(List.of(), withAdapter.warnings());
    for (Path file : List.of(Path.of("saved_model.pb"), Path.of("variables", "variables.index"),
        Path.of("variables", "variables.data-00000-of-00001"))) {
      assertEquals(-1L, Files.mismatch(run.merged().resolve(file), servedDir.resolve(file)),
          "the deploy-time merge is train's merged/, byte for byte: " + file);
    }
  }

  @Test
  void theReadmeShowsExactlyTheExampleThatRuns() throws Exception {
    String readme = Files.readString(README, StandardCharsets.UTF_8);
    int section = readme.indexOf("## Use from Java");
    assertTrue(section >= 0, "README.md has a \"Use from Java\" section");
    int open = readme.indexOf("```java\n", section);
    int close = readme.indexOf("```\n", open + 1);
    assertTrue(open > 0 && close > open, "the section has a java block");
    String shown = readme.substring(open + "```java\n".length(), close);
    assertEquals(example(), shown, "README.md's \"Use from Java\" block must be the tested example;"
        + " copy it from " + THIS_FILE);
  }

  /** The lines between the markers of this file, their common indentation removed. */
  private static String example() throws Exception {
    List<String> lines = Files.readAllLines(THIS_FILE, StandardCharsets.UTF_8);
    int begin = indexOf(lines, BEGIN);
    int end = indexOf(lines, END);
    List<String> body = lines.subList(begin + 1, end);
    int indent = body.stream().filter(l -> !l.isBlank())
        .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
    return body.stream().map(l -> l.isBlank() ? "" : l.substring(indent))
        .collect(Collectors.joining("\n", "", "\n"));
  }

  private static int indexOf(List<String> lines, String marker) {
    // The marker constants above contain the text too: the markers are the lines that are nothing else.
    return Stream.iterate(0, i -> i + 1).limit(lines.size()).filter(i -> lines.get(i).strip().equals(marker))
        .findFirst().orElseThrow(() -> new AssertionError("no line '" + marker + "' in " + THIS_FILE));
  }
}

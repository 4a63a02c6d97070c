package dev.finetune.vblora.training.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.batch.Batch;
import dev.finetune.vblora.savedmodel.adapter.AdapterFolder;
import dev.finetune.vblora.training.testing.Bert;
import dev.finetune.vblora.training.testing.CliRun;
import dev.finetune.vblora.training.testing.ServingProbe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17's demonstration on adapters that were really trained, each on its own task: opt-in, because the
 * adapters come from GPU runs (scripts/gpu-lab.sh multi trains SST-2, CoLA and a negation task on BERT-base,
 * bert-qv, each with its head). Set {@code VBLORA_TRAINED_ADAPTERS} to a folder with one adapter folder per
 * task. Each adapter is merged by {@code vblora merge}, all of them go into one model by
 * {@code vblora export-multi}, and that model, loaded with SavedModelBundle in a fresh JVM through its
 * signature, must serve every example what the merged model of the adapter it chose serves, to 1e-5: every
 * example on one adapter, then batches in which neighbours use other adapters. Run it with
 * {@code VBLORA_TRAINED_ADAPTERS=DIR mvn verify -pl training -am -Dvblora.optInGroups=none
 * -Dtest=TrainedAdaptersInOneModelTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@Tag("trained-adapters")
@EnabledIfEnvironmentVariable(named = "VBLORA_TRAINED_ADAPTERS", matches = ".+",
    disabledReason = "opt-in: set VBLORA_TRAINED_ADAPTERS to a folder of trained adapters")
class TrainedAdaptersInOneModelTest {
  private static final int MAX_LENGTH = 64;

  @Test
  void eachExampleGetsWhatTheMergedModelOfItsAdapterServesAloneAndInMixedBatches(@TempDir Path dir)
      throws Exception {
    List<Path> adapters = adapterFolders(Path.of(System.getenv("VBLORA_TRAINED_ADAPTERS")));
    assertTrue(adapters.size() >= 3, "issue 17 asks for at least 3 trained adapters, found " + adapters);
    Batch batch = Bert.demoBatches(24, 24, MAX_LENGTH).get(0);
    Path inputs = dir.resolve("inputs.json");
    Files.writeString(inputs, ServingProbe.inputsJson(batch.inputIds(), batch.inputMask(), batch.segmentIds()));

    List<String> names = new ArrayList<>();
    List<float[][]> merged = new ArrayList<>();
    List<String> exportArgs = new ArrayList<>(List.of("export-multi", "--model", "bert-base-uncased"));
    for (Path adapter : adapters) {
      String name = adapter.getFileName().toString();
      Path mergedDir = dir.resolve("merged-" + name);
      CliRun merge = CliRun.of("merge", "--model", "bert-base-uncased", "--adapter", adapter.toString(), "--out",
          mergedDir.toString());
      assertEquals(0, merge.status(), merge.toString());
      names.add(name);
      merged.add(ServingProbe.inProcess(mergedDir, inputs));
      exportArgs.addAll(List.of("--adapter", name + "=" + adapter));
    }
    Path multi = dir.resolve("multi");
    exportArgs.addAll(List.of("--out", multi.toString()));
    CliRun export = CliRun.of(exportArgs.toArray(String[]::new));
    assertEquals(0, export.status(), export.toString());

    int rows = batch.inputIds().length;
    for (int a = 0; a < names.size(); a++) {
      List<String> alone = Collections.nCopies(rows, names.get(a));
      assertServes(multi, batch, alone, names, merged, dir.resolve("alone-" + a + ".json"));
    }
    for (int shift = 0; shift < names.size(); shift++) {
      List<String> mixed = new ArrayList<>();
      for (int i = 0; i < rows; i++) {
        mixed.add(names.get((i + shift) % names.size()));
      }
      assertServes(multi, batch, mixed, names, merged, dir.resolve("mixed-" + shift + ".json"));
    }
  }

  private static void assertServes(Path multi, Batch batch, List<String> chosen, List<String> names,
      List<float[][]> merged, Path inputs) throws Exception {
    Files.writeString(inputs, ServingProbe.inputsJson(batch.inputIds(), batch.inputMask(), batch.segmentIds(),
        chosen));
    float[][] served = ServingProbe.inFreshJvm(multi, inputs);
    for (int i = 0; i < served.length; i++) {
      float[] expected = merged.get(names.indexOf(chosen.get(i)))[i];
      assertArrayEquals(expected, served[i], 1e-5f, "example " + i + " with adapter " + chosen.get(i));
    }
  }

  private static List<Path> adapterFolders(Path root) throws Exception {
    try (Stream<Path> children = Files.list(root)) {
      return children.filter(p -> Files.isRegularFile(p.resolve(AdapterFolder.WEIGHTS_FILE))).sorted().toList();
    }
  }
}

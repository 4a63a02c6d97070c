package dev.finetune.vblora.training.testing;

import dev.finetune.vblora.data.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;

/**
 * Run in a fresh JVM: loads a SavedModel with SavedModelBundle, exactly as a serving process would, feeds the
 * inputs of a JSON file ({"input_ids": [[...]], "input_mask": ..., "segment_ids": ...}) to serving_default and
 * prints its {@code probabilities} output as JSON on stdout. Uses no project code but the JSON reader.
 */
public final class ServingProbe {
  private ServingProbe() {}

  public static void main(String[] args) throws Exception {
    List<Object> rows = new ArrayList<>();
    for (float[] row : inProcess(Path.of(args[0]), Path.of(args[1]))) {
      List<Object> values = new ArrayList<>();
      for (float v : row) {
        values.add((double) v);
      }
      rows.add(values);
    }
    System.out.println(Json.toCompactJson(rows));
  }

  /** The probabilities {@code model} serves for the inputs file, computed in this JVM. */
  public static float[][] inProcess(Path model, Path inputsFile) throws Exception {
    Map<String, Object> inputs = Json.parseObject(Files.readString(inputsFile));
    try (SavedModelBundle bundle = SavedModelBundle.load(model.toString(), "serve")) {
      SignatureDef signature = bundle.metaGraphDef().getSignatureDefMap().get("serving_default");
      try (TInt32 ids = tensor(inputs, "input_ids"); TInt32 mask = tensor(inputs, "input_mask");
          TInt32 segments = tensor(inputs, "segment_ids");
          // A multi-adapter model (export-multi) also takes each example's adapter by name.
          TString adapters = inputs.containsKey("adapter")
              ? TString.vectorOf(Json.getArray(inputs, "adapter").toArray(String[]::new)) : null;
          Result result = withAdapters(bundle.session().runner(), signature, adapters)
              .feed(signature.getInputsOrThrow("input_ids").getName(), ids)
              .feed(signature.getInputsOrThrow("input_mask").getName(), mask)
              .feed(signature.getInputsOrThrow("segment_ids").getName(), segments)
              .fetch(signature.getOutputsOrThrow("probabilities").getName()).run()) {
        return StdArrays.array2dCopyOf((TFloat32) result.get(0));
      }
    }
  }

  private static Session.Runner withAdapters(Session.Runner runner, SignatureDef signature, TString adapters) {
    return adapters == null ? runner : runner.feed(signature.getInputsOrThrow("adapter").getName(), adapters);
  }

  /** The inputs file for {@code main} with each example's adapter, for a multi-adapter model. */
  public static String inputsJson(int[][] ids, int[][] mask, int[][] segments, List<String> adapters) {
    return Json.toCompactJson(Map.of("input_ids", toLists(ids), "input_mask", toLists(mask),
        "segment_ids", toLists(segments), "adapter", List.copyOf(adapters)));
  }

  private static TInt32 tensor(Map<String, Object> inputs, String key) {
    List<Object> rows = Json.getArray(inputs, key);
    int[][] values = new int[rows.size()][];
    for (int i = 0; i < rows.size(); i++) {
      List<?> row = (List<?>) rows.get(i);
      values[i] = row.stream().mapToInt(v -> ((Number) v).intValue()).toArray();
    }
    return TInt32.tensorOf(StdArrays.ndCopyOf(values));
  }

  /** The inputs file for {@code main}. */
  public static String inputsJson(int[][] ids, int[][] mask, int[][] segments) {
    return Json.toCompactJson(Map.of("input_ids", toLists(ids), "input_mask", toLists(mask),
        "segment_ids", toLists(segments)));
  }

  private static List<Object> toLists(int[][] values) {
    List<Object> rows = new ArrayList<>();
    for (int[] row : values) {
      List<Object> r = new ArrayList<>();
      for (int v : row) {
        r.add((long) v);
      }
      rows.add(r);
    }
    return rows;
  }

  /** Runs main in a child JVM on this test class path and returns the probabilities it printed. */
  public static float[][] inFreshJvm(Path model, Path inputs) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        ServingProbe.class.getName(), model.toString(), inputs.toString())
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(process.getInputStream().readAllBytes());
    if (process.waitFor() != 0) {
      throw new IllegalStateException("the child JVM failed (exit " + process.exitValue() + "): " + out);
    }
    List<?> rows = (List<?>) Json.parse(out.lines().filter(l -> l.startsWith("[")).findFirst()
        .orElseThrow(() -> new IllegalStateException("no probabilities in the child's output: " + out)));
    float[][] probabilities = new float[rows.size()][];
    for (int i = 0; i < rows.size(); i++) {
      List<?> row = (List<?>) rows.get(i);
      probabilities[i] = new float[row.size()];
      for (int j = 0; j < row.size(); j++) {
        probabilities[i][j] = ((Number) row.get(j)).floatValue();
      }
    }
    return probabilities;
  }
}

package dev.finetune.vblora.training.bench;

import dev.finetune.vblora.savedmodel.adapter.FullLogits;
import dev.finetune.vblora.savedmodel.adapter.PeftVbLoraConfig;
import dev.finetune.vblora.savedmodel.adapter.ToolMetadata;
import dev.finetune.vblora.savedmodel.adapter.VbLoraAdapter;
import dev.finetune.vblora.savedmodel.adapter.VbLoraModule;
import dev.finetune.vblora.savedmodel.export.MultiAdapterModel;
import dev.finetune.vblora.savedmodel.export.MergedModel;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.proto.SignatureDef;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;

/**
 * Issue 17's size and latency figures on BERT-base: N random q,v VB-LoRA adapters (h vectors of length 256, r 4,
 * k 2, top-k saved; h 256 is PEFT's default, h 90 the bank of our GLUE runs) in one multi-adapter model; its
 * size on disk; and the median forward time of a batch whose examples use mixed adapters, against the untouched
 * model and one merged model.
 *
 * <p>Usage: {@code MultiAdapterBenchmark BERT_FOLDER WORK_FOLDER [adapters=100] [batch=32] [length=128]
 * [runs=10] [half=false] [h=256]}.
 */
public final class MultiAdapterBenchmark {
  private MultiAdapterBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path bert = Path.of(args[0]);
    Path work = Path.of(args[1]);
    int adapters = args.length > 2 ? Integer.parseInt(args[2]) : 100;
    int batch = args.length > 3 ? Integer.parseInt(args[3]) : 32;
    int length = args.length > 4 ? Integer.parseInt(args[4]) : 128;
    int runs = args.length > 5 ? Integer.parseInt(args[5]) : 10;
    boolean half = args.length > 6 && Boolean.parseBoolean(args[6]);
    int vectors = args.length > 7 ? Integer.parseInt(args[7]) : 256;
    run(bert, work, adapters, batch, length, runs, half, vectors, System.out);
  }

  static void run(Path bert, Path work, int count, int batch, int length, int runs, boolean half, int vectors,
      PrintStream out) throws Exception {
    Files.createDirectories(work);
    MultiAdapterModel.Builder request = MultiAdapterModel.Request.builder(bert, work.resolve("multi"))
        .overwrite(true).halfPrecisionBank(half);
    List<String> names = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Path folder = work.resolve("adapters").resolve("a" + i);
      randomAdapter(i, vectors).write(folder, true);
      request.adapter(folder);
      names.add("a" + i);
    }
    long start = System.nanoTime();
    MultiAdapterModel.write(request.build());
    out.printf("export of %d adapters: %.1f s%n", count, (System.nanoTime() - start) / 1e9);
    out.printf("size: base %.1f MB, multi-adapter model %.1f MB (%s bank)%n", size(bert) / 1e6,
        size(work.resolve("multi")) / 1e6, half ? "float16" : "float32");
    out.printf("size in MiB: base %.1f, multi-adapter model %.1f (h %d)%n", size(bert) / 1048576.0,
        size(work.resolve("multi")) / 1048576.0, vectors);
    Path merged = work.resolve("merged");
    if (!Files.exists(merged)) {
      MergedModel.merge(bert, work.resolve("adapters/a0"), merged);
    }
    String[] mixed = new String[batch];
    for (int i = 0; i < batch; i++) {
      mixed[i] = names.get((i * 7) % names.size());
    }
    out.printf("batch %d x %d, median of %d interleaved runs after 2 warm-up runs each:%n", batch, length, runs);
    List<String> labels = List.of("untouched model ", "one merged model", "multi, mixed    ");
    double[] medians = interleavedMedians(List.of(bert, merged, work.resolve("multi")),
        Arrays.asList(null, null, mixed), batch, length, runs);
    for (int m = 0; m < labels.size(); m++) {
      out.printf("  %s %.1f ms%n", labels.get(m), medians[m]);
    }
    out.printf("  multi / merged %.2fx, multi / untouched %.2fx%n", medians[2] / medians[1], medians[2] / medians[0]);
  }

  /**
   * The models loaded side by side and run in turn (the first of each round rotating), so that a load that comes
   * and goes on a shared machine falls on all of them alike; the median per model.
   */
  private static double[] interleavedMedians(List<Path> models, List<String[]> adapters, int batch, int length,
      int runs) {
    int[][] ids = new int[batch][length];
    int[][] mask = new int[batch][length];
    Random random = new Random(1);
    for (int i = 0; i < batch; i++) {
      for (int j = 0; j < length; j++) {
        ids[i][j] = 1000 + random.nextInt(1000);
        mask[i][j] = 1;
      }
    }
    List<SavedModelBundle> bundles = new ArrayList<>();
    try (TInt32 idsT = TInt32.tensorOf(StdArrays.ndCopyOf(ids));
         TInt32 maskT = TInt32.tensorOf(StdArrays.ndCopyOf(mask));
         TInt32 segments = TInt32.tensorOf(StdArrays.ndCopyOf(new int[batch][length]))) {
      for (Path model : models) {
        bundles.add(SavedModelBundle.load(model.toString(), "serve"));
      }
      double[][] times = new double[models.size()][runs];
      for (int r = -2; r < runs; r++) {
        for (int i = 0; i < models.size(); i++) {
          int m = Math.floorMod(i + r, models.size());
          double ms = timeOne(bundles.get(m), adapters.get(m), idsT, maskT, segments);
          if (r >= 0) {
            times[m][r] = ms;
          }
        }
      }
      double[] medians = new double[models.size()];
      for (int m = 0; m < medians.length; m++) {
        Arrays.sort(times[m]);
        medians[m] = times[m][runs / 2];
      }
      return medians;
    } finally {
      bundles.forEach(SavedModelBundle::close);
    }
  }

  private static double timeOne(SavedModelBundle bundle, String[] adapters, TInt32 ids, TInt32 mask,
      TInt32 segments) {
    SignatureDef signature = bundle.metaGraphDef().getSignatureDefMap().get("serving_default");
    try (TString chosen = adapters == null ? null : TString.vectorOf(adapters)) {
      Session.Runner runner = bundle.session().runner()
          .feed(signature.getInputsMap().get("input_ids").getName(), ids)
          .feed(signature.getInputsMap().get("input_mask").getName(), mask)
          .feed(signature.getInputsMap().get("segment_ids").getName(), segments)
          .fetch(signature.getOutputsMap().get("pooled_output").getName());
      if (chosen != null) {
        runner.feed(signature.getInputsMap().get("adapter").getName(), chosen);
      }
      long t = System.nanoTime();
      try (Result result = runner.run()) {
        // run() returns with pooled_output copied to the host, as a serving client receives it
        return result.size() == 1 ? (System.nanoTime() - t) / 1e6 : Double.NaN;
      }
    }
  }

  /** BERT-base q,v VB-LoRA with a bank of h random vectors and random logits, saved top-k only. */
  static VbLoraAdapter randomAdapter(long seed, int h) {
    Random random = new Random(seed);
    int b = 256;
    int r = 4;
    Map<String, String> targets = new LinkedHashMap<>();
    List<VbLoraModule> modules = new ArrayList<>();
    for (int layer = 0; layer < 12; layer++) {
      for (String kind : List.of("query", "value")) {
        String module = "bert.encoder.layer." + layer + ".attention.self." + kind;
        targets.put(module, "bert/encoder/layer_" + layer + "/attention/self/" + kind + "/kernel");
        modules.add(new VbLoraModule(module, new FullLogits(r, 768 / b, h, gaussian(r * 3 * h, random)),
            new FullLogits(768 / b, r, h, gaussian(3 * r * h, random))));
      }
    }
    float[][] bank = new float[h][b];
    for (float[] row : bank) {
      for (int j = 0; j < b; j++) {
        row[j] = (float) (random.nextGaussian() * 0.02);
      }
    }
    PeftVbLoraConfig config = PeftVbLoraConfig.builder().r(r).numVectors(h).vectorLength(b).topk(2)
        .saveOnlyTopkWeights(false).targetModules(List.of("query", "value"))
        .toolMetadata(ToolMetadata.of("bert-base-uncased", targets, null, List.of())).build();
    return VbLoraAdapter.of(config, bank, modules).toTopK();
  }

  private static float[] gaussian(int n, Random random) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return values;
  }

  private static long size(Path folder) throws IOException {
    try (Stream<Path> files = Files.walk(folder.toRealPath())) { // the model folder may be a link
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }
}

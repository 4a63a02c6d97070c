package dev.finetune.vblora.savedmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/** The index reader against checkpoints written by TensorFlow's own SaveV2. */
class TensorBundleIndexTest {
  /** Enough long names that the index spans several 4 KiB data blocks and many restart points. */
  private static final int TENSORS = 300;

  @TempDir static Path temp;
  private static Path prefix;
  private static Map<String, String> written;

  @BeforeAll
  static void writeCheckpointWithTensorFlow() {
    prefix = temp.resolve("ckpt");
    written = new TreeMap<>();
    try (Graph g = new Graph(); Session session = new Session(g)) {
      Ops tf = Ops.create(g);
      List<String> names = new ArrayList<>();
      List<Operand<?>> tensors = new ArrayList<>();
      for (int i = 0; i < TENSORS; i++) {
        String name = String.format("model/block_%03d/some/rather/long/scope/name/to/fill/blocks/%s", i,
            i % 2 == 0 ? "kernel" : "bias");
        long[] dims = i % 5 == 0 ? new long[0] : new long[] {1 + i % 7, 2 + i % 3};
        Shape shape = Shape.of(dims);
        Operand<?> tensor;
        String dtype;
        switch (i % 4) {
          case 0 -> { tensor = tf.zeros(tf.constant(shape), TFloat32.class); dtype = "DT_FLOAT"; }
          case 1 -> { tensor = tf.zeros(tf.constant(shape), TInt32.class); dtype = "DT_INT32"; }
          case 2 -> { tensor = tf.zeros(tf.constant(shape), TInt64.class); dtype = "DT_INT64"; }
          default -> { tensor = tf.zeros(tf.constant(shape), TFloat64.class); dtype = "DT_DOUBLE"; }
        }
        names.add(name);
        tensors.add(tensor);
        written.put(name, dtype + " " + Arrays.toString(dims));
      }
      String[] blanks = new String[TENSORS];
      Arrays.fill(blanks, "");
      session.run(tf.train.save(tf.constant(prefix.toString()),
          tf.constant(NdArrays.vectorOfObjects(names.toArray(new String[0]))),
          tf.constant(NdArrays.vectorOfObjects(blanks)), tensors));
    }
  }

  @Test
  void listsEveryTensorTensorFlowWrote() throws IOException {
    assertTrue(Files.size(prefix.resolveSibling("ckpt.index")) > 3 * 4096, "index should span several blocks");
    TensorBundleIndex index = TensorBundleIndex.read(prefix);
    Map<String, String> read = new TreeMap<>();
    for (VariableInfo v : index.tensors()) {
      read.put(v.name(), v.dtype() + " " + Arrays.toString(v.shape().stream().mapToLong(Long::longValue).toArray()));
    }
    assertEquals(written, read);
    assertEquals(1, index.header().getNumShards());
    assertEquals(DataType.DT_FLOAT, index.tensors().get(0).dtype());
  }

  @Test
  void aDamagedBlockFailsItsChecksum() throws IOException {
    byte[] bytes = Files.readAllBytes(prefix.resolveSibling("ckpt.index"));
    bytes[100] ^= 0x20;
    SavedModelException e = assertThrows(SavedModelException.class,
        () -> TensorBundleIndex.parse(bytes, "damaged.index"));
    assertTrue(e.getMessage().contains("damaged.index"), e.getMessage());
    assertTrue(e.getMessage().contains("checksum"), e.getMessage());
  }

  @Test
  void aTruncatedFileIsNotATable() throws IOException {
    byte[] bytes = Files.readAllBytes(prefix.resolveSibling("ckpt.index"));
    byte[] truncated = Arrays.copyOf(bytes, bytes.length - 10);
    SavedModelException e = assertThrows(SavedModelException.class,
        () -> TensorBundleIndex.parse(truncated, "short.index"));
    assertTrue(e.getMessage().contains("short.index is not a readable TensorFlow table"), e.getMessage());
  }

  @Test
  void aMissingIndexIsNamed() {
    Path missing = temp.resolve("absent/variables");
    SavedModelException e = assertThrows(SavedModelException.class, () -> TensorBundleIndex.read(missing));
    assertTrue(e.getMessage().contains("absent/variables.index does not exist"), e.getMessage());
  }
}

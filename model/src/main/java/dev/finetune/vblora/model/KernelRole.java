package dev.finetune.vblora.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a kernel does in a BERT-family transformer, read from the last components of its name, so that presets
 * find the same kernels whatever scopes a layout wraps them in:
 *
 * <pre>
 *   layout               query (key, value alike)           attention output                 intermediate       output
 *   TF1, bert-for-tf2    layer_N/attention/self/query       attention/output/dense           intermediate[/dense] output/dense
 *   Model Garden         layer_N/self_attention/query       self_attention/attention_output  intermediate       output
 *   Hugging Face BERT    layer_._N/attention/self/query     attention/output/dense           intermediate/dense output/dense
 *   Hugging Face ALBERT  albert_layers_._0/attention/query  attention/dense                  ffn                ffn_output
 *   DistilBERT           layer_._N/attention/q_lin          attention/out_lin                ffn/lin1           ffn/lin2
 *   Keras MHA            multi_head_attention/query         multi_head_attention/attention_output
 * </pre>
 *
 * Key and value are named like the query ({@code key}, {@code k_lin}, ...). Keras object-graph names ({@code _query_dense},
 * {@code _output_dense}) read the same once the underscore and {@code _dense} are dropped. Kernels outside the
 * layers: the pooler ({@code pooler}, {@code pooler_transform}, DistilBERT's {@code pre_classifier}) and an
 * embedding projection (any component naming embeddings: ALBERT's {@code word_embeddings_projector},
 * {@code embedding_hidden_mapping_in}, Model Garden's {@code embedding_projection}).
 */
public enum KernelRole {
  QUERY,
  KEY,
  VALUE,
  ATTENTION_OUTPUT,
  INTERMEDIATE,
  OUTPUT,
  POOLER,
  EMBEDDING_PROJECTION,
  /** None of the above: a classifier, a custom Dense, or a name no convention explains. */
  OTHER;

  /** Query, key, value or attention output: the kernels that mark an attention block. */
  public boolean attention() {
    return this == QUERY || this == KEY || this == VALUE || this == ATTENTION_OUTPUT;
  }

  /** One of the six kernels of an encoder layer. */
  public boolean encoderLayer() {
    return attention() || this == INTERMEDIATE || this == OUTPUT;
  }

  /** The role of the kernel with module path {@code modulePath} (its name without the {@code /kernel} leaf). */
  public static KernelRole of(String modulePath) {
    List<String> parts = new ArrayList<>();
    for (String part : modulePath.split("/")) {
      parts.add(normalized(part));
    }
    if (parts.stream().anyMatch(p -> p.startsWith("pooler") || p.equals("pre_classifier"))) {
      return POOLER;
    }
    if (parts.stream().anyMatch(p -> p.contains("embedding"))) {
      return EMBEDDING_PROJECTION;
    }
    // BERT puts the attention output, intermediate and output Dense layers under a scope that names the role.
    boolean denseLeaf = parts.size() > 1 && parts.get(parts.size() - 1).equals("dense");
    if (denseLeaf) {
      parts.remove(parts.size() - 1);
    }
    String leaf = parts.get(parts.size() - 1);
    List<String> above = parts.subList(0, parts.size() - 1);
    boolean underAttention = above.stream().anyMatch(p -> p.contains("attention"));
    return switch (leaf) {
      case "query", "q_lin", "q_proj" -> QUERY;
      case "key", "k_lin", "k_proj" -> KEY;
      case "value", "v_lin", "v_proj" -> VALUE;
      case "attention_output", "out_lin", "out_proj", "o_proj" -> ATTENTION_OUTPUT;
      case "attention" -> denseLeaf ? ATTENTION_OUTPUT : OTHER; // Hugging Face ALBERT: attention/dense
      // A top-level Dense named "output" is a model's head, not a layer's: a role needs a scope above it.
      case "output" -> above.isEmpty() ? OTHER : underAttention ? ATTENTION_OUTPUT : OUTPUT;
      case "intermediate", "ffn", "lin1" -> above.isEmpty() ? OTHER : INTERMEDIATE;
      case "ffn_output", "lin2" -> above.isEmpty() ? OTHER : OUTPUT;
      default -> OTHER;
    };
  }

  /** Lower case, without Keras' leading underscore and object-graph {@code _dense} suffix. */
  private static String normalized(String part) {
    String p = part.toLowerCase(Locale.ROOT);
    while (p.startsWith("_")) {
      p = p.substring(1);
    }
    return p.endsWith("_dense") && p.length() > "_dense".length() ? p.substring(0, p.length() - "_dense".length()) : p;
  }
}

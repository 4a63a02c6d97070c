package dev.finetune.vblora.data.batch;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Map;

/**
 * One example as token ids, unpadded ([CLS] ... [SEP] only).
 *
 * @param label the class id (classification) or target value (regression), as in the Example
 * @param features for feature models: per signature input key, the example's values flattened row-major (the
 *     token arrays are then empty); empty for text
 */
public record EncodedExample(int[] inputIds, int[] segmentIds, float label, Map<String, float[]> features) {
  /** An example of tokens. */
  public EncodedExample(int[] inputIds, int[] segmentIds, float label) {
    this(inputIds, segmentIds, label, Map.of());
  }

  /** An example of feature arrays. */
  public static EncodedExample ofFeatures(Map<String, float[]> features, float label) {
    return new EncodedExample(new int[0], new int[0], label, features);
  }

  public EncodedExample {
    features = Map.copyOf(features);
    if (inputIds.length != segmentIds.length) {
      throw new VbLoraException(inputIds.length + " token ids but " + segmentIds.length + " segment ids");
    }
  }

  public int length() {
    return inputIds.length;
  }
}

package dev.finetune.vblora.data.batch;

/**
 * One example as token ids, unpadded ([CLS] ... [SEP] only).
 *
 * @param label the class id (classification) or target value (regression), as in the Example
 */
public record EncodedExample(int[] inputIds, int[] segmentIds, float label) {
  public EncodedExample {
    if (inputIds.length != segmentIds.length) {
      throw new IllegalArgumentException(inputIds.length + " token ids but " + segmentIds.length + " segment ids");
    }
  }

  public int length() {
    return inputIds.length;
  }
}

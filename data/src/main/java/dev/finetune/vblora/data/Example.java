package dev.finetune.vblora.data;

/**
 * One labelled example of a data file.
 *
 * @param line the 1-based line of the data file it came from (for messages)
 * @param textPair the second text of a sentence-pair task, else null
 * @param label the class id ({@link LabelSet}) for classification, the target value for regression
 */
public record Example(int line, String text, String textPair, float label) {
  /** The class id of a classification example. */
  public int classId() {
    return (int) label;
  }
}

package dev.finetune.vblora.data;

/**
 * One labelled text given in memory instead of read from a file (see {@link InMemoryDataset}).
 *
 * @param text the text
 * @param textPair the second text of a sentence-pair task, or null
 * @param label the class name for classification (e.g. "positive" or "1"), the target number for regression
 */
public record TextExample(String text, String textPair, String label) {
  /** A single-sentence example. */
  public static TextExample of(String text, String label) {
    return new TextExample(text, null, label);
  }

  /** A sentence-pair example. */
  public static TextExample pair(String text, String textPair, String label) {
    return new TextExample(text, textPair, label);
  }
}

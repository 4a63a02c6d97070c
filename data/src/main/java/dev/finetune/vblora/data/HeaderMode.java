package dev.finetune.vblora.data;

/** Whether the first row of a TSV/CSV file names the columns. JSONL objects name their own keys. */
public enum HeaderMode {
  /**
   * Decide from the file: a mapping by names means a header; with indices, the first row is a header when
   * its label cell is not a valid label while the other rows' are (see DatasetReader). Declare the header
   * where a file is too small or too odd for that to be clear.
   */
  DETECT,
  /** The first row is a header. */
  PRESENT,
  /** Every row is data (--no-header); columns must be given by index. */
  ABSENT
}

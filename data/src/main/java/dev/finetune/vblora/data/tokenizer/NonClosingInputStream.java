package dev.finetune.vblora.data.tokenizer;

import java.io.FilterInputStream;
import java.io.InputStream;

/** Lets a reader be closed without closing the caller's stream (the caller opened it, the caller closes it). */
final class NonClosingInputStream extends FilterInputStream {
  NonClosingInputStream(InputStream in) {
    super(in);
  }

  @Override
  public void close() {
    // the caller's stream stays open
  }
}

package dev.finetune.vblora.data;

/** A count with its noun, for messages: "1 kernel", "24 kernels" (nouns whose plural adds an s). */
public final class Counted {
  private Counted() {}

  public static String of(long n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }
}

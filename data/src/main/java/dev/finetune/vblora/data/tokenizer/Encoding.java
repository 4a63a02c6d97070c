package dev.finetune.vblora.data.tokenizer;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.List;

/**
 * One text (or text pair) as the model sees it: {@code [CLS] a [SEP]} or {@code [CLS] a [SEP] b [SEP]}.
 *
 * <p>The arrays have one entry per position: the token ids, the segment of each position (0 for the first
 * text with its [CLS] and [SEP], 1 for the second text and its [SEP]; BERT calls these token type ids), and
 * the attention mask (1 for real tokens, 0 for padding). The record owns its arrays; callers must not
 * change them.
 *
 * @param tokens the token strings, "[PAD]" included where padded
 * @param droppedTokens the word pieces truncation cut from the text (or pair) to fit the maximum length
 */
public record Encoding(List<String> tokens, int[] inputIds, int[] tokenTypeIds, int[] attentionMask,
    int droppedTokens) {
  public Encoding {
    tokens = List.copyOf(tokens);
    if (inputIds.length != tokens.size() || tokenTypeIds.length != tokens.size()
        || attentionMask.length != tokens.size()) {
      throw new VbLoraException("an encoding needs one token, id, type and mask per position: "
          + tokens.size() + " tokens, " + inputIds.length + " ids, " + tokenTypeIds.length + " types, "
          + attentionMask.length + " mask entries");
    }
    if (droppedTokens < 0) {
      throw new VbLoraException("an encoding cannot have dropped " + droppedTokens + " tokens");
    }
  }

  /** Whether truncation cut word pieces from the text. */
  public boolean truncated() {
    return droppedTokens > 0;
  }

  /** Number of positions, padding included. */
  public int length() {
    return inputIds.length;
  }

  /** Number of real (unpadded) positions. */
  public int realLength() {
    int n = 0;
    for (int m : attentionMask) {
      n += m;
    }
    return n;
  }
}

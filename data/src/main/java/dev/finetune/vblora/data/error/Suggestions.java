package dev.finetune.vblora.data.error;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * "Did you mean": the known names closest to a mistyped one, by edit distance (a swap of two neighbours counts
 * as one edit). picocli's own suggestions (2-gram similarity) miss short slips such as {@code --tmes} and offer
 * far-fetched ones ({@code inspect} for {@code nope}), so they are not used.
 */
public final class Suggestions {
  private Suggestions() {}

  /**
   * The names within a few edits of {@code typed} (its part before any {@code =}), nearest first: one edit for
   * words of up to 4 letters after the dashes, else a third of the word, at least two.
   */
  public static List<String> of(String typed, Collection<String> names) {
    String bare = typed.contains("=") ? typed.substring(0, typed.indexOf('=')) : typed;
    int letters = bare.replaceFirst("^-+", "").length();
    int limit = letters <= 4 ? 1 : Math.max(2, letters / 3);
    return names.stream().filter(n -> distance(bare, n) <= limit)
        .sorted(Comparator.comparingInt(n -> distance(bare, n))).toList();
  }

  /** " (did you mean NAME?)" with the nearest of {@link #of}, or "" when none is near: the end of a message's name. */
  public static String hint(String typed, Collection<String> names) {
    return hint(typed, names, "");
  }

  /** As {@link #hint(String, Collection)}, saying what the name is: " (did you mean the preset NAME?)". */
  public static String hint(String typed, Collection<String> names, String kind) {
    List<String> near = of(typed, names);
    return near.isEmpty() ? "" : " (did you mean " + kind + near.get(0) + "?)";
  }

  /** Edit distance with transpositions (optimal string alignment). */
  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(d[i - 1][j - 1] + cost, Math.min(d[i - 1][j], d[i][j - 1]) + 1);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}

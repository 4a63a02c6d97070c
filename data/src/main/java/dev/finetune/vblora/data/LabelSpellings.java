package dev.finetune.vblora.data;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Class names that differ only in case ("positive", "Positive") are one class spelt two ways, as a hand-edited or
 * merged file has them; taken as they are they would train as two classes, each with half the examples. Both
 * readers of labelled examples (files and in-memory examples) refuse them.
 */
final class LabelSpellings {
  private LabelSpellings() {}

  /**
   * The first label spelt otherwise than an earlier one of the same letters.
   *
   * @param first the index of the earlier spelling
   * @param second the index of the later one
   */
  record Conflict(int first, int second) {}

  static Optional<Conflict> caseConflict(List<String> labels) {
    Map<String, Integer> firstByFolded = new HashMap<>();
    for (int i = 0; i < labels.size(); i++) {
      String name = labels.get(i);
      Integer first = firstByFolded.putIfAbsent(name.toLowerCase(Locale.ROOT), i);
      if (first != null && !labels.get(first).equals(name)) {
        return Optional.of(new Conflict(first, i));
      }
    }
    return Optional.empty();
  }
}

package dev.finetune.vblora.training;

import dev.finetune.vblora.data.TextExample;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Training (and optionally validation) texts given in memory instead of the config's {@code train} and
 * {@code valid} files; read by the same rules as a file (see {@link dev.finetune.vblora.data.InMemoryDataset}).
 *
 * @param train the training examples
 * @param valid the validation examples, or null to hold out {@code validFraction} of {@code train}
 */
public record TrainingExamples(List<TextExample> train, List<TextExample> valid) {
  public TrainingExamples {
    train = checked("train", Objects.requireNonNull(train, "train examples are null; give a list of TextExample"));
    valid = valid == null ? null : checked("valid", valid);
  }

  /** Training examples; the config's {@code validFraction} of them is held out for validation. */
  public static TrainingExamples of(Iterable<TextExample> train) {
    return new TrainingExamples(listOf(train), null);
  }

  /** Training and validation examples. */
  public static TrainingExamples of(Iterable<TextExample> train, Iterable<TextExample> valid) {
    return new TrainingExamples(listOf(train), listOf(Objects.requireNonNull(valid,
        "valid examples are null; give a list of TextExample, or call of(train) to hold out validFraction of train")));
  }

  /** As {@link #of(Iterable)}, from a stream (read once, here). */
  public static TrainingExamples of(Stream<TextExample> train) {
    return new TrainingExamples(Objects.requireNonNull(train, "train examples are null; give a stream of TextExample")
        .toList(), null);
  }

  private static List<TextExample> listOf(Iterable<TextExample> examples) {
    List<TextExample> list = new ArrayList<>();
    Objects.requireNonNull(examples, "train examples are null; give a list of TextExample").forEach(list::add);
    return list;
  }

  /** An immutable copy; a null example is named by its position, which List.copyOf's bare NPE would not say. */
  private static List<TextExample> checked(String which, List<TextExample> examples) {
    for (int i = 0; i < examples.size(); i++) {
      if (examples.get(i) == null) {
        throw new NullPointerException(which + " example " + (i + 1) + " of " + examples.size() + " is null; give a"
            + " TextExample (TextExample.of(text, label)) for each");
      }
    }
    return List.copyOf(examples);
  }
}

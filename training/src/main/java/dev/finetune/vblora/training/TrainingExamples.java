package dev.finetune.vblora.training;

import dev.finetune.vblora.data.TextExample;
import java.util.ArrayList;
import java.util.List;
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
    train = List.copyOf(train);
    valid = valid == null ? null : List.copyOf(valid);
  }

  /** Training examples; the config's {@code validFraction} of them is held out for validation. */
  public static TrainingExamples of(Iterable<TextExample> train) {
    return new TrainingExamples(listOf(train), null);
  }

  /** Training and validation examples. */
  public static TrainingExamples of(Iterable<TextExample> train, Iterable<TextExample> valid) {
    return new TrainingExamples(listOf(train), listOf(valid));
  }

  /** As {@link #of(Iterable)}, from a stream (read once, here). */
  public static TrainingExamples of(Stream<TextExample> train) {
    return new TrainingExamples(train.toList(), null);
  }

  private static List<TextExample> listOf(Iterable<TextExample> examples) {
    List<TextExample> list = new ArrayList<>();
    examples.forEach(list::add);
    return list;
  }
}

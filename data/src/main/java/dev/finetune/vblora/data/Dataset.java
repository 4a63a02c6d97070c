package dev.finetune.vblora.data;

import dev.finetune.vblora.data.error.VbLoraException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The labelled examples of one data file, in file order.
 *
 * @param labels the classes (ids as in {@link Example#label}) for classification; null for regression
 */
public record Dataset(Path source, Task task, LabelSet labels, List<Example> examples) {
  public Dataset {
    if ((task == Task.CLASSIFICATION) != (labels != null)) {
      throw new VbLoraException("a classification dataset needs its label set, a regression one has"
          + " none");
    }
    examples = List.copyOf(examples);
  }

  public int size() {
    return examples.size();
  }

  public Example get(int index) {
    return examples.get(index);
  }

  /** The examples at {@code indices}, in that order (for splits). */
  public Dataset subset(int[] indices) {
    List<Example> chosen = new ArrayList<>(indices.length);
    for (int i : indices) {
      chosen.add(examples.get(i));
    }
    return new Dataset(source, task, labels, chosen);
  }

  /** Examples per class id (classification only). */
  public int[] classCounts() {
    if (labels == null) {
      throw new IllegalStateException("a regression dataset has no classes");
    }
    int[] counts = new int[labels.size()];
    for (Example e : examples) {
      counts[e.classId()]++;
    }
    return counts;
  }
}

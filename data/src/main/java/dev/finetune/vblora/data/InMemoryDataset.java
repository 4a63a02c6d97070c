package dev.finetune.vblora.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * Turns {@link TextExample}s given in memory into a {@link Dataset} by the rules a data file is read by: classes
 * named by their labels (in {@link LabelSet#of}'s order, at least two, none spelt two ways), numbers for
 * regression, no empty text. A problem is a
 * {@link DataFileException} naming the set and the example's 1-based position in place of a file and a line.
 */
public final class InMemoryDataset {
  private InMemoryDataset() {}

  /**
   * @param name how messages name the set, e.g. "train"; the dataset's source is {@code in-memory:NAME}
   * @param labels the training classes to hold the labels to (validation), or null to take them from these
   *     examples (training); ignored for regression
   */
  public static Dataset of(String name, Iterable<TextExample> examples, Task task, LabelSet labels) {
    Path source = Path.of("in-memory:" + name);
    List<TextExample> given = new ArrayList<>();
    examples.forEach(given::add);
    if (given.isEmpty()) {
      throw new DataFileException(source, "there are no examples; give at least one");
    }
    for (int i = 0; i < given.size(); i++) {
      TextExample e = given.get(i);
      if (e == null || e.text() == null || e.label() == null || e.label().isBlank()) {
        throw new DataFileException(source, i + 1, null, "every example needs a text and a label");
      }
      boolean emptyText = DatasetReader.emptyForTokenizer(e.text());
      if (emptyText || (e.textPair() != null && DatasetReader.emptyForTokenizer(e.textPair()))) {
        // As a file's empty cell: trained on, it would teach the head the label of no text at all.
        throw new DataFileException(source, i + 1, null, "the " + (emptyText ? "text" : "text pair")
            + " is empty (or holds only control or format characters); give every example a text, or leave the"
            + " example out");
      }
    }
    LabelSet classes = task == Task.CLASSIFICATION ? classes(source, given, labels) : null;
    List<Example> read = new ArrayList<>(given.size());
    for (int i = 0; i < given.size(); i++) {
      TextExample e = given.get(i);
      float label = classes != null ? classId(source, i + 1, classes, e.label().trim())
          : number(source, i + 1, e.label().trim());
      read.add(new Example(i + 1, e.text(), e.textPair(), label));
    }
    return new Dataset(source, task, classes, read);
  }

  private static LabelSet classes(Path source, List<TextExample> given, LabelSet known) {
    if (known != null) {
      return known;
    }
    List<String> labels = given.stream().map(e -> e.label().trim()).toList();
    LabelSpellings.caseConflict(labels).ifPresent(c -> {
      throw new DataFileException(source, c.second() + 1, null, "the label '" + labels.get(c.second()) + "' differs"
          + " only in case from '" + labels.get(c.first()) + "' (example " + (c.first() + 1) + "); write every label"
          + " of a class the same way");
    });
    LabelSet found = LabelSet.of(labels);
    if (found.size() < 2) {
      throw new DataFileException(source, "all " + given.size() + " examples have the label '" + found.name(0)
          + "'; a classifier needs at least two classes");
    }
    return found;
  }

  private static float classId(Path source, int position, LabelSet classes, String label) {
    OptionalInt id = classes.idOf(label);
    if (id.isEmpty()) {
      throw new DataFileException(source, position, null, "the label '" + label + "' is not one of the training"
          + " labels " + classes + "; give examples of the same classes");
    }
    return id.getAsInt();
  }

  private static float number(Path source, int position, String label) {
    try {
      float value = Float.parseFloat(label);
      if (Float.isFinite(value)) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new DataFileException(source, position, null, "the label '" + label + "' is not a number; regression"
        + " needs a numeric label on every example");
  }
}

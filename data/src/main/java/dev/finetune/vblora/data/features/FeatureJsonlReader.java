package dev.finetune.vblora.data.features;

import dev.finetune.vblora.data.DataFileException;
import dev.finetune.vblora.data.LabelSet;
import dev.finetune.vblora.data.Task;
import dev.finetune.vblora.data.batch.EncodedDataset;
import dev.finetune.vblora.data.batch.EncodedExample;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.data.json.JsonException;
import dev.finetune.vblora.data.table.DataFileText;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Reads the data of a model whose inputs are feature arrays: a JSONL file, one example per line, one nested array
 * per model input under the input's name and the label under its own key, e.g.
 * {@code {"input_1": [[0.1, 0.2], [0.3, 0.4]], "label": 1}}. Every array is checked against the input's shape
 * (the batch dimension left out); values are numbers. The result is ready for batching.
 */
public final class FeatureJsonlReader {
  private final Map<String, long[]> shapes;
  private final String labelKey;
  private final Task task;

  /**
   * @param shapes per input key, the shape of one example (the signature's shape without the batch dimension)
   * @param labelKey the JSON key of the label
   * @param task classification (labels are class names or ids) or regression (labels are numbers)
   */
  public FeatureJsonlReader(Map<String, long[]> shapes, String labelKey, Task task) {
    this.shapes = new LinkedHashMap<>(shapes);
    this.labelKey = labelKey;
    this.task = task;
  }

  /**
   * Reads {@code file}; for classification the classes are {@code labels} when given (a label outside it is an
   * error naming the line), else the labels the file holds.
   */
  public EncodedDataset read(Path file, LabelSet labels) throws IOException {
    // Read as the text readers read (gzip when named .gz, UTF-8 errors by line); lines split as readAllLines did.
    List<String> lines = DataFileText.read(file).lines().toList();
    List<Map<String, float[]>> features = new ArrayList<>();
    List<String> rawLabels = new ArrayList<>();
    List<Integer> lineNumbers = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty()) {
        continue;
      }
      Map<String, Object> object;
      try {
        object = Json.parseObject(line);
      } catch (JsonException e) {
        // Most often a text TSV given to a model of feature inputs: say what this model reads.
        throw new DataFileException(file, i + 1, null, "not a JSON object (" + e.getMessage() + "); this model takes"
            + " feature inputs, read from JSONL with one object per line holding one array per model input "
            + shapes.keySet() + " and the label '" + labelKey + "'");
      }
      features.add(example(file, i + 1, object));
      rawLabels.add(label(file, i + 1, object));
      lineNumbers.add(i + 1);
    }
    if (features.isEmpty()) {
      throw new DataFileException(file, "holds no examples; write one JSON object per line");
    }
    LabelSet classes = task == Task.CLASSIFICATION ? (labels != null ? labels : LabelSet.of(rawLabels)) : null;
    List<EncodedExample> examples = new ArrayList<>();
    for (int i = 0; i < features.size(); i++) {
      examples.add(EncodedExample.ofFeatures(features.get(i),
          labelValue(file, lineNumbers.get(i), rawLabels.get(i), classes)));
    }
    return new EncodedDataset(task, classes, 1, 0, examples);
  }

  private Map<String, float[]> example(Path file, int line, Map<String, Object> object) {
    Map<String, float[]> values = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> input : shapes.entrySet()) {
      Object value = object.get(input.getKey());
      if (value == null) {
        throw new DataFileException(file, line, "'" + input.getKey() + "'", "no array for model input '"
            + input.getKey() + "' (shape " + Arrays.toString(input.getValue()) + " per example); every line needs "
            + "one array per model input " + shapes.keySet() + " and the label '" + labelKey + "'");
      }
      long size = Arrays.stream(input.getValue()).reduce(1, (a, b) -> a * b);
      float[] flat = new float[Math.toIntExact(size)];
      int filled = flatten(file, line, input.getKey(), value, input.getValue(), 0, flat, 0);
      if (filled != flat.length) {
        throw new IllegalStateException("flattened " + filled + " of " + flat.length + " values");
      }
      values.put(input.getKey(), flat);
    }
    return values;
  }

  /** Copies {@code value} (nested lists of the dims from {@code depth} on) into {@code flat} from {@code at}. */
  private static int flatten(Path file, int line, String key, Object value, long[] dims, int depth, float[] flat,
      int at) {
    if (depth == dims.length) {
      if (!(value instanceof Number n)) {
        throw new DataFileException(file, line, "'" + key + "'", "expected a number at depth " + depth
            + ", found " + describe(value));
      }
      double d = n.doubleValue();
      if (!Double.isFinite(d)) {
        throw new DataFileException(file, line, "'" + key + "'", "value " + d + " is not finite");
      }
      flat[at] = (float) d;
      return at + 1;
    }
    if (!(value instanceof List<?> list) || list.size() != dims[depth]) {
      throw new DataFileException(file, line, "'" + key + "'", "expected an array of " + dims[depth]
          + " at depth " + depth + " (the input's shape per example is " + Arrays.toString(dims) + "), found "
          + describe(value));
    }
    int next = at;
    for (Object item : list) {
      next = flatten(file, line, key, item, dims, depth + 1, flat, next);
    }
    return next;
  }

  private static String describe(Object value) {
    if (value instanceof List<?> list) {
      return "an array of " + list.size();
    }
    return value == null ? "null" : value instanceof String ? "a string" : value.toString();
  }

  private String label(Path file, int line, Map<String, Object> object) {
    Object label = object.get(labelKey);
    if (label == null) {
      throw new DataFileException(file, line, "'" + labelKey + "'", "no label '" + labelKey + "'; every line needs"
          + " one (name the key with the label column)");
    }
    if (label instanceof Double d && d == Math.rint(d) && task == Task.CLASSIFICATION) {
      return Long.toString(d.longValue());
    }
    return label.toString();
  }

  private float labelValue(Path file, int line, String raw, LabelSet classes) {
    if (classes != null) {
      OptionalInt id = classes.idOf(raw);
      if (id.isEmpty()) {
        throw new DataFileException(file, line, "'" + labelKey + "'", "label '" + raw + "' is not one of the "
            + "classes " + classes.names());
      }
      return id.getAsInt();
    }
    try {
      float value = Float.parseFloat(raw);
      if (!Float.isFinite(value)) {
        throw new NumberFormatException();
      }
      return value;
    } catch (NumberFormatException e) {
      throw new DataFileException(file, line, "'" + labelKey + "'", "regression needs a finite number as the "
          + "label, got '" + raw + "'");
    }
  }
}

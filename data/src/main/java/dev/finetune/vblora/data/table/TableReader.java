package dev.finetune.vblora.data.table;

import dev.finetune.vblora.data.DataFileException;
import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.data.json.JsonSyntaxException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a TSV, CSV or JSONL data file (UTF-8, an optional byte order mark, LF or CRLF line ends, gzip-compressed
 * when named .gz) into rows.
 * Blank lines are skipped. A missing or empty file, text that is not UTF-8, and broken CSV quoting or JSON
 * are {@link DataFileException}s naming the file and line.
 */
public final class TableReader {
  private TableReader() {}

  /** Reads {@code file} in the format its extension says; other extensions are an error. */
  public static Table read(Path file) throws IOException {
    TableFormat format = TableFormat.forFileName(file);
    if (format == null) {
      throw new DataFileException(file, "the format cannot be told from the file name; name it .tsv, .csv"
          + " or .jsonl (.txt reads as .tsv, .json and .ndjson as .jsonl; any of them may end in .gz)");
    }
    return read(file, format);
  }

  public static Table read(Path file, TableFormat format) throws IOException {
    String text = DataFileText.read(file);
    Table table = switch (format) {
      case TSV -> new Table(file, format, null, tsvRows(file, text));
      case CSV -> new Table(file, format, null, new CsvParser(file, text).rows());
      case JSONL -> jsonLines(file, text);
    };
    if (table.rows().isEmpty()) {
      throw new DataFileException(file, "the file is empty: it has no rows; give one example per line");
    }
    return table;
  }

  private static List<String> lines(String text) {
    List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.endsWith("\r")) {
        lines.set(i, line.substring(0, line.length() - 1));
      }
    }
    return lines;
  }

  private static List<Row> tsvRows(Path file, String text) {
    List<Row> rows = new ArrayList<>();
    List<String> lines = lines(text);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (!line.isBlank()) {
        List<String> cells = Arrays.asList(line.split("\t", -1));
        CsvQuotedTsv.refuse(file, i + 1, cells);
        rows.add(new Row(i + 1, cells));
      }
    }
    return rows;
  }

  private static Table jsonLines(Path file, String text) {
    List<String> lines = lines(text);
    List<Object> values = new ArrayList<>();
    List<Integer> lineNumbers = new ArrayList<>();
    Map<String, Integer> keys = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      Object value;
      try {
        value = Json.parse(line);
      } catch (JsonSyntaxException e) {
        if (values.isEmpty() && isOneDocument(text)) {
          throw new DataFileException(file, i + 1, null, "the file is one JSON document over several lines (as"
              + " pandas' to_json and json.dump write), not one JSON object per line; write it as JSON Lines (pandas:"
              + " to_json('data.jsonl', orient='records', lines=True))", e);
        }
        throw new DataFileException(file, i + 1, null, "not valid JSON (" + e.problem() + " at character "
            + (e.offset() + 1) + "); a .jsonl file holds one JSON object per line", e);
      }
      if (value instanceof List<?> list && list.stream().anyMatch(v -> v instanceof Map<?, ?>)) {
        // One line holding a whole array of records: what pandas' to_json(orient='records') and json.dump write.
        throw new DataFileException(file, i + 1, null, "the line is a JSON array of objects (as pandas'"
            + " to_json(orient='records') and json.dump write), not one JSON object per line; write it as JSON Lines"
            + " (pandas: to_json('data.jsonl', orient='records', lines=True))");
      }
      if (value instanceof Map<?, ?> object) {
        object.keySet().forEach(k -> keys.putIfAbsent((String) k, keys.size()));
      } else if (!(value instanceof List<?>)) {
        throw new DataFileException(file, i + 1, null, "a line of a .jsonl file must be a JSON object "
            + "(or an array of cells), not " + value);
      }
      if (!values.isEmpty() && (value instanceof Map<?, ?>) != (values.get(0) instanceof Map<?, ?>)) {
        throw new DataFileException(file, i + 1, null, "mixes JSON objects and arrays; use objects on every"
            + " line");
      }
      values.add(value);
      lineNumbers.add(i + 1);
    }
    boolean objects = !values.isEmpty() && values.get(0) instanceof Map<?, ?>;
    List<Row> rows = new ArrayList<>(values.size());
    for (int r = 0; r < values.size(); r++) {
      List<String> cells = new ArrayList<>();
      if (objects) {
        Map<?, ?> object = (Map<?, ?>) values.get(r);
        for (String key : keys.keySet()) {
          cells.add(cellText(object.get(key)));
        }
      } else {
        for (Object v : (List<?>) values.get(r)) {
          cells.add(cellText(v));
        }
      }
      rows.add(new Row(lineNumbers.get(r), cells));
    }
    return new Table(file, TableFormat.JSONL, objects ? List.copyOf(keys.keySet()) : null, rows);
  }

  /** Whether the whole text parses as one JSON value: a pretty-printed file, or an array of records. */
  private static boolean isOneDocument(String text) {
    try {
      Json.parse(text);
      return true;
    } catch (JsonSyntaxException e) {
      return false;
    }
  }

  /**
   * Strings as they are, numbers as Python's str() shows them (1, 1.0, 0.25: what a label column read with
   * Python's json shows), booleans as true/false; null and nested values as no text.
   */
  private static String cellText(Object value) {
    if (value == null || value instanceof Map<?, ?> || value instanceof List<?>) {
      return null;
    }
    if (value instanceof Double number) {
      return Json.pythonFloatRepr(number);
    }
    return value.toString();
  }
}

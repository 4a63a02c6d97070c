package dev.finetune.vblora.data.table;

import dev.finetune.vblora.data.DataFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * RFC 4180 comma-separated values: a cell in double quotes may hold commas, line breaks and doubled quotes
 * ("" is one quote). As in most real files, a quote inside an unquoted cell (5" screen) is kept as text;
 * text after a closing quote, and a quote that is never closed, are errors that give the line.
 */
final class CsvParser {
  private final Path file;
  private final String text;
  private int pos;
  private int line = 1;

  CsvParser(Path file, String text) {
    this.file = file;
    this.text = text;
  }

  List<Row> rows() {
    List<Row> rows = new ArrayList<>();
    while (pos < text.length()) {
      int startLine = line;
      List<String> cells = record();
      boolean blank = cells.size() == 1 && cells.get(0).isBlank();
      if (!blank) {
        rows.add(new Row(startLine, cells));
      }
    }
    return rows;
  }

  /** One record, consuming its line break. */
  private List<String> record() {
    List<String> cells = new ArrayList<>();
    while (true) {
      cells.add(pos < text.length() && text.charAt(pos) == '"' ? quotedCell() : plainCell());
      if (pos >= text.length()) {
        return cells;
      }
      char c = text.charAt(pos);
      if (c == ',') {
        pos++;
      } else {
        endOfLine();
        return cells;
      }
    }
  }

  private String plainCell() {
    int start = pos;
    while (pos < text.length()) {
      char c = text.charAt(pos);
      if (c == ',' || c == '\n' || c == '\r') {
        break;
      }
      pos++;
    }
    return text.substring(start, pos);
  }

  private String quotedCell() {
    int startLine = line;
    pos++; // opening quote
    StringBuilder cell = new StringBuilder();
    while (true) {
      if (pos >= text.length()) {
        throw new DataFileException(file, startLine, null, "a quoted cell is never closed; close it with \""
            + " and write a quote inside a quoted cell as \"\"");
      }
      char c = text.charAt(pos++);
      if (c == '"') {
        if (pos < text.length() && text.charAt(pos) == '"') {
          cell.append('"');
          pos++;
        } else {
          break;
        }
      } else {
        if (c == '\n') {
          line++;
        }
        cell.append(c);
      }
    }
    if (pos < text.length()) {
      char next = text.charAt(pos);
      if (next != ',' && next != '\n' && next != '\r') {
        throw new DataFileException(file, line, null, "text follows a closing quote; quote the whole cell"
            + " and write a quote inside it as \"\"");
      }
    }
    return cell.toString();
  }

  private void endOfLine() {
    if (text.charAt(pos) == '\r') {
      pos++;
    }
    if (pos < text.length() && text.charAt(pos) == '\n') {
      pos++;
    }
    line++;
  }
}

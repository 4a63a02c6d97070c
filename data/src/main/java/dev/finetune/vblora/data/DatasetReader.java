package dev.finetune.vblora.data;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.table.CsvQuotedTsv;
import dev.finetune.vblora.data.table.Row;
import dev.finetune.vblora.data.table.RowWidth;
import dev.finetune.vblora.data.table.Table;
import dev.finetune.vblora.data.table.TableFormat;
import dev.finetune.vblora.data.table.TableReader;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads a data file into labelled examples: finds the header (declared, or detected), maps the columns,
 * and turns labels into class ids or numbers. Every problem is a {@link DataFileException} naming the file,
 * line and column and saying what to do.
 */
public final class DatasetReader {
  private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
  private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");
  /** How Python, pandas and Java spell a number that is not finite. */
  private static final Pattern NON_FINITE = Pattern.compile("(?i)[+-]?(inf|infinity|nan)");

  private final Path file;
  private final ReadOptions options;
  private final LabelSet knownLabels;
  /** The table's format, known once read: messages about a row depend on it. */
  private TableFormat format;

  private DatasetReader(Path file, ReadOptions options, LabelSet knownLabels) {
    this.file = file;
    this.options = options;
    this.knownLabels = knownLabels;
  }

  /** Reads training data: the label set is made from the labels found (classification). */
  public static Dataset read(Path file, ReadOptions options) throws IOException {
    return new DatasetReader(file, options, null).read();
  }

  /**
   * Reads evaluation or validation data against the training label set: a label outside it is an error.
   * {@code labels} is ignored for regression.
   */
  public static Dataset read(Path file, ReadOptions options, LabelSet labels) throws IOException {
    if (options.task() == Task.CLASSIFICATION && labels == null) {
      throw new VbLoraException("evaluating a classification task needs the training label set");
    }
    return new DatasetReader(file, options, options.task() == Task.CLASSIFICATION ? labels : null).read();
  }

  private Dataset read() throws IOException {
    Table table = options.format() == null ? TableReader.read(file) : TableReader.read(file, options.format());
    format = table.format();
    ColumnMapping mapping = options.columns();
    List<Row> rows = table.rows();
    List<String> header = table.keys();
    if (!table.namesItsColumns() && hasHeaderRow(rows, mapping)) {
      header = rows.get(0).cells();
      rows = rows.subList(1, rows.size());
    }
    if (rows.isEmpty()) {
      throw new DataFileException(file, "the file has a header row but no examples; add one example per line");
    }
    int headerLine = table.namesItsColumns() ? 0 : 1;
    ResolvedColumn text = resolve(mapping.text(), "text", header, headerLine);
    ResolvedColumn pair = mapping.hasTextPair() ? resolve(mapping.textPair(), "text pair", header, headerLine)
        : null;
    ResolvedColumn label = resolve(mapping.label(), "label", header, headerLine);
    if (!table.namesItsColumns()) {
      if (header != null) {
        RowWidth.requireAtMost(table, header, rows);
      } else {
        RowWidth.requireCommonWidth(table, rows);
      }
    }

    List<String> texts = new ArrayList<>();
    List<String> pairs = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    for (Row row : rows) {
      texts.add(text.nonBlank(row));
      pairs.add(pair == null ? null : pair.nonBlank(row));
      String labelCell = label.value(row).trim();
      if (labelCell.isEmpty()) {
        throw new DataFileException(file, row.line(), label.name, "the label is empty; every example needs one");
      }
      labels.add(labelCell);
    }
    LabelSet labelSet = options.task() == Task.CLASSIFICATION ? classes(labels, rows, label) : null;
    List<Example> examples = new ArrayList<>(rows.size());
    for (int i = 0; i < rows.size(); i++) {
      float value = labelSet != null ? classId(labelSet, labels.get(i), rows.get(i), label)
          : number(labels.get(i), rows.get(i), label);
      examples.add(new Example(rows.get(i).line(), texts.get(i), pairs.get(i), value));
    }
    return new Dataset(file, options.task(), labelSet, examples);
  }

  private boolean hasHeaderRow(List<Row> rows, ColumnMapping mapping) {
    switch (options.header()) {
      case PRESENT:
        return true;
      case ABSENT:
        if (mapping.usesNames()) {
          throw new DataFileException(file, "the columns are mapped by name but the file is declared to have"
              + " no header row; map them by 0-based index");
        }
        if (headerDespiteDeclaration(rows, mapping)) {
          throw new DataFileException(file, 1, null, "line 1 names its columns (" + mappedCells(rows.get(0), mapping)
              + "), but noHeader declares that the file has no header row: it would be an example of the label '"
              + rows.get(0).cell(mapping.label().index()).trim() + "'; leave noHeader out, or remove the line",
              List.of("noHeader"));
        }
        return false;
      default:
        return mapping.usesNames() || firstRowIsHeader(rows, mapping);
    }
  }

  /**
   * A first row whose label cell is not a valid label while every other row's label cell is: not a number for
   * regression, not an integer where all others are. Where the labels are names (or the training labels, at
   * evaluation), a first-row label found in no other row may be a header's or a rare class's: the row is a header
   * when one of its mapped cells is a usual column name ({@link #COLUMN_NAMES}), and otherwise the file is refused
   * as ambiguous, since either guess would silently change the data (a lost example, or a column name as a class).
   */
  private boolean firstRowIsHeader(List<Row> rows, ColumnMapping mapping) {
    int labelIndex = mapping.label().index();
    if (rows.size() < 2 || rows.get(0).cell(labelIndex) == null) {
      return false;
    }
    List<String> rest = new ArrayList<>();
    for (Row row : rows.subList(1, rows.size())) {
      String cell = row.cell(labelIndex);
      if (cell == null) {
        return false; // the column mapping does not fit; reading the rows will say so
      }
      rest.add(cell.trim());
    }
    if (numbersItsColumns(rows.get(0).cells())) {
      return true;
    }
    String first = rows.get(0).cell(labelIndex).trim();
    if (options.task() == Task.REGRESSION) {
      Predicate<String> number = s -> NUMBER.matcher(s).matches();
      return !number.test(first) && rest.stream().allMatch(number);
    }
    Predicate<String> integer = s -> INTEGER.matcher(s).matches();
    if (rest.stream().allMatch(integer) && (knownLabels == null || knownLabels.names().stream().allMatch(integer))) {
      return !integer.test(first);
    }
    // Class names (or the training labels at evaluation).
    Set<String> seen = new HashSet<>(rest);
    Predicate<String> known = knownLabels != null ? knownLabels::contains : seen::contains;
    if (known.test(first) || !rest.stream().allMatch(known)) {
      return false; // line 1's label is a class like the others', or the rows do not agree on what a label is
    }
    if (namesAColumn(rows.get(0), mapping)) {
      return true;
    }
    if (knownLabels == null && seen.size() * 2 > rest.size()) {
      return false; // names too diverse to tell a rare class from a column name: line 1 stays an example
    }
    throw new DataFileException(file, 1, null, "line 1 may be a header or an example: its label '" + first
        + "' is found " + (knownLabels != null ? "among none of the model's labels " + knownLabels.names()
        : "in no other line") + ". If line 1 names the columns, map them by name (textColumn '"
        + rows.get(0).cell(mapping.text().index()) + "', labelColumn '" + first + "'); if it is an example, set"
        + " noHeader", List.of("noHeader", "textColumn", "labelColumn"));
  }

  /**
   * Whether a text holds nothing a tokenizer keeps: white space of any kind, and the control and format characters a
   * BERT tokenizer removes before it splits. The file readers and examples given in memory refuse such texts alike.
   */
  static boolean emptyForTokenizer(String text) {
    return text.codePoints().allMatch(c -> Character.isWhitespace(c) || Character.isSpaceChar(c)
        || Character.isISOControl(c) || Character.getType(c) == Character.FORMAT);
  }

  /**
   * Usual names of a text or label column (pandas, GLUE, Hugging Face datasets, Kaggle), compared without case: a
   * first row that holds one in a mapped cell is a header.
   */
  static final Set<String> COLUMN_NAMES = Set.of("text", "texts", "sentence", "sentence1", "sentence2", "question",
      "question1", "question2", "premise", "hypothesis", "review", "content", "document", "comment", "tweet",
      "message", "utterance", "title", "body", "input", "label", "labels", "class", "category", "sentiment",
      "target", "tag", "y", "gold_label", "polarity", "score", "rating", "stars", "intent", "topic");

  /**
   * The header pandas writes for columns it named by position: {@code 0,1} (to_csv of unnamed columns), or
   * {@code ,0,1} with the index column. Such a line is no example (its text would be "0"), yet its label cell is a
   * valid whole number, so the label rules alone would read it as one.
   */
  private static boolean numbersItsColumns(List<String> cells) {
    int offset = !cells.isEmpty() && cells.get(0) != null && cells.get(0).isBlank() ? 1 : 0;
    if (cells.size() - offset < 2) {
      return false;
    }
    for (int i = offset; i < cells.size(); i++) {
      if (cells.get(i) == null || !cells.get(i).trim().equals(Integer.toString(i - offset))) {
        return false;
      }
    }
    return true;
  }

  private static boolean namesAColumn(Row row, ColumnMapping mapping) {
    return mapped(mapping).stream().map(c -> row.cell(c.index())).filter(Objects::nonNull)
        .anyMatch(DatasetReader::usualColumnName);
  }

  /**
   * A line 1 that a header-less declaration would make an example though it is plainly a header: every mapped cell
   * a usual column name, and its label found in no other line.
   */
  private static boolean headerDespiteDeclaration(List<Row> rows, ColumnMapping mapping) {
    if (rows.size() < 2 || !mapped(mapping).stream().map(c -> rows.get(0).cell(c.index()))
        .allMatch(cell -> cell != null && usualColumnName(cell))) {
      return false;
    }
    String label = rows.get(0).cell(mapping.label().index()).trim();
    return rows.subList(1, rows.size()).stream().map(r -> r.cell(mapping.label().index()))
        .noneMatch(cell -> cell != null && cell.trim().equals(label));
  }

  private static List<Column> mapped(ColumnMapping mapping) {
    return mapping.hasTextPair() ? List.of(mapping.text(), mapping.textPair(), mapping.label())
        : List.of(mapping.text(), mapping.label());
  }

  private static String mappedCells(Row row, ColumnMapping mapping) {
    return mapped(mapping).stream().map(c -> "'" + row.cell(c.index()) + "'").collect(Collectors.joining(", "));
  }

  private static boolean usualColumnName(String cell) {
    return COLUMN_NAMES.contains(cell.trim().toLowerCase(java.util.Locale.ROOT));
  }

  /** @param headerLine the line of the header row: 1, or 0 when the format names its columns (JSONL) */
  private ResolvedColumn resolve(Column column, String role, List<String> header, int headerLine) {
    if (column.byName()) {
      int index = header == null ? -1 : indexOf(header, column.name());
      if (index < 0) {
        String problem = "the " + role + " column " + column + " is not among the column names " + header;
        if (headerLine == 1 && header != null && looksLikeData(header)) {
          // A file without a header row (like the GLUE data) read with the default names: say how to read it.
          throw new DataFileException(file, headerLine, null, problem + "; the first row looks like data, not"
              + " a header: if the file has no header row, set noHeader and map the columns by 0-based index (e.g."
              + " textColumn " + longestCell(header) + " labelColumn " + labelIndex(header) + "), else map the "
              + role + " column to one of these names", List.of("noHeader", "textColumn", "labelColumn"));
        }
        throw new DataFileException(file, headerLine, null, problem
            + sameButCase(header, column.name(), "names are matched exactly")
            + "; map it to one of these names or to a 0-based index" + separatorHint(header));
      }
      int again = indexOf(header, column.name(), index + 1);
      if (again >= 0) {
        // pandas would call the second one 'name.1'; taking either silently could train on the wrong column.
        String setting = setting(role);
        throw new DataFileException(file, headerLine, null, "the header names two columns " + column + " ("
            + index + " and " + again + ", 0-based), so the " + role + " column is ambiguous; rename one of them,"
            + " or map " + setting + " to the 0-based index of the one to read", List.of(setting));
      }
      return new ResolvedColumn(index, column.toString(), role);
    }
    String headerName = header != null && column.index() < header.size() ? header.get(column.index()) : null;
    return new ResolvedColumn(column.index(),
        headerName == null ? column.toString() : column + " ('" + headerName + "')", role);
  }

  /** Column names are short words: a number, or a cell with spaces longer than a name, is an example's. */
  private static boolean looksLikeData(List<String> row) {
    return row.stream().filter(Objects::nonNull).map(String::trim)
        .anyMatch(cell -> NUMBER.matcher(cell).matches() || (cell.length() > 30 && cell.contains(" ")));
  }

  /** The index of a data row's longest cell: its text, most likely. */
  private static int longestCell(List<String> row) {
    int longest = 0;
    for (int i = 1; i < row.size(); i++) {
      if (length(row.get(i)) > length(row.get(longest))) {
        longest = i;
      }
    }
    return longest;
  }

  /** The index of a data row's label, most likely: its first number that is not the text, else its last cell. */
  private static int labelIndex(List<String> row) {
    int text = longestCell(row);
    for (int i = 0; i < row.size(); i++) {
      if (i != text && row.get(i) != null && NUMBER.matcher(row.get(i).trim()).matches()) {
        return i;
      }
    }
    return text == row.size() - 1 ? 0 : row.size() - 1;
  }

  private static int length(String cell) {
    return cell == null ? 0 : cell.length();
  }

  /** The setting that maps a column of {@code role}. */
  private static String setting(String role) {
    return switch (role) {
      case "text" -> "textColumn";
      case "text pair" -> "textPairColumn";
      default -> "labelColumn";
    };
  }

  /**
   * Names are matched exactly (as pandas matches header names); a near miss in case among {@code names} is pointed
   * out: " ('Name' differs only in case: {@code advice})", or "" when there is none.
   */
  private static String sameButCase(Collection<String> names, String name, String advice) {
    return names == null ? "" : names.stream().filter(Objects::nonNull).map(String::trim)
        .filter(name::equalsIgnoreCase).findFirst()
        .map(found -> " ('" + found + "' differs only in case: " + advice + ")").orElse("");
  }

  /**
   * A header of one cell that holds another separator: a CSV that Excel wrote with ';' (where the decimal separator
   * is a comma), or a comma-separated file named .tsv.
   */
  private static String separatorHint(List<String> header) {
    if (header == null || header.size() != 1 || header.get(0) == null) {
      return "";
    }
    for (String separator : List.of(";", ",", "\t", "|")) {
      if (header.get(0).contains(separator)) {
        String shown = separator.equals("\t") ? "a tab" : "'" + separator + "'";
        return "; the header is one cell that holds " + shown + ": a .csv file is read comma-separated and a .tsv"
            + " file tab-separated, so save it with that separator (or under the name that fits it)";
      }
    }
    return "";
  }

  private static int indexOf(List<String> header, String name) {
    return indexOf(header, name, 0);
  }

  private static int indexOf(List<String> header, String name, int from) {
    for (int i = from; i < header.size(); i++) {
      if (header.get(i) != null && header.get(i).trim().equals(name)) {
        return i;
      }
    }
    return -1;
  }

  private LabelSet classes(List<String> labels, List<Row> rows, ResolvedColumn label) {
    if (knownLabels != null) {
      return knownLabels;
    }
    requireOneSpellingPerClass(labels, rows, label);
    LabelSet found = LabelSet.of(labels);
    if (found.size() < 2) {
      throw new DataFileException(file, 0, label.name, "all " + rows.size() + " examples have the label '"
          + found.name(0) + "'; a classifier needs at least two classes: check the label column"
          + (rows.size() == 1 ? " (a file of one row: if it is a header, the file has no examples)" : ""));
    }
    return found;
  }

  /** Labels that differ only in case are refused ({@link LabelSpellings}), naming both lines. */
  private void requireOneSpellingPerClass(List<String> labels, List<Row> rows, ResolvedColumn label) {
    LabelSpellings.caseConflict(labels).ifPresent(c -> {
      throw new DataFileException(file, rows.get(c.second()).line(), label.name, "the label '" + labels.get(c.second())
          + "' differs only in case from '" + labels.get(c.first()) + "' (line " + rows.get(c.first()).line()
          + "); write every label of a class the same way");
    });
  }

  private float classId(LabelSet labels, String label, Row row, ResolvedColumn column) {
    OptionalInt id = labels.idOf(label);
    if (id.isEmpty()) {
      throw new DataFileException(file, row.line(), column.name, "the label '" + label
          + "' is not one of the known classes " + labels
          + sameButCase(labels.names(), label, "write it as the training data does")
          + " (the training data's, or the output indices of a model's own classifier); give labels of these"
          + " classes" + headerHint(row));
    }
    return id.getAsInt();
  }

  private float number(String label, Row row, ResolvedColumn column) {
    if (NUMBER.matcher(label).matches()) {
      float value = Float.parseFloat(label);
      if (Float.isFinite(value)) {
        return value;
      }
      throw new DataFileException(file, row.line(), column.name, "the label '" + label + "' is beyond the range"
          + " of a float32 (about 3.4e38 either way); regression needs a finite label in every row");
    }
    if (NON_FINITE.matcher(label).matches()) {
      throw new DataFileException(file, row.line(), column.name, "the label '" + label + "' is not a finite"
          + " number; regression needs a finite label in every row");
    }
    throw new DataFileException(file, row.line(), column.name, "the label '" + label
        + "' is not a number; regression needs a numeric label in every row (for class names use the"
        + " classification task)" + headerHint(row));
  }

  private String headerHint(Row row) {
    return row.line() == 1 && options.header() != HeaderMode.PRESENT
        ? " (if line 1 is a header row, declare it or map the columns by its names)" : "";
  }

  /** A mapped column with its index and the name messages use. */
  private final class ResolvedColumn {
    final int index;
    final String name;
    final String role;

    ResolvedColumn(int index, String name, String role) {
      this.index = index;
      this.name = name;
      this.role = role;
    }

    String value(Row row) {
      if (index >= row.size()) {
        throw new DataFileException(file, row.line(), name, "the row has " + Counted.of(row.size(), "column")
            + " but the " + role + " column is " + index + " (0-based); "
            + CsvQuotedTsv.lineBreakAdvice(format, row).orElse("check the column mapping, and that a .tsv file is"
                + " tab-separated and a .csv file comma-separated"));
      }
      String value = row.cell(index);
      if (value == null) {
        throw new DataFileException(file, row.line(), name, "the row has no " + role + " (the key is missing,"
            + " null, or holds an object or array); give every row a " + role + " value");
      }
      return value;
    }

    /**
     * A text cell that holds something: pandas reads an empty cell as a missing value (NaN), which a tokenizer
     * refuses; trained on as it is, the example would teach the head the label of no text at all.
     */
    String nonBlank(Row row) {
      String value = value(row);
      if (emptyForTokenizer(value)) {
        throw new DataFileException(file, row.line(), name, "the " + role + " is empty" + (value.isBlank() ? ""
            : " (it holds only control or format characters, which the tokenizer drops)") + "; give every example a "
            + role + ", or remove the row");
      }
      return value;
    }
  }
}

package dev.finetune.vblora.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a data file can be unusable gives a {@link DataFileException} whose message names the file,
 * the line and column where it applies, and what to do about it.
 */
class DataFileErrorsTest {
  @TempDir Path dir;

  private Path file(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
  }

  private static DataFileException readFails(Path file, ReadOptions options) {
    return assertThrows(DataFileException.class, () -> DatasetReader.read(file, options));
  }

  private static void assertMentions(DataFileException e, String... parts) {
    for (String part : parts) {
      assertTrue(e.getMessage().contains(part), () -> "'" + part + "' missing from: " + e.getMessage());
    }
  }

  private static ReadOptions classification(String text, String label) {
    return ReadOptions.of(ColumnMapping.of(text, label), Task.CLASSIFICATION);
  }

  @Test
  void columnsThatDoNotMatchTheMapping() throws IOException {
    Path csv = file("wrong.csv", "a good film\t1\nbad\t0\n"); // tab-separated, read as CSV: one column
    DataFileException e = readFails(csv, classification("0", "1"));
    assertEquals(1, e.line());
    assertMentions(e, csv.toString(), "line 1", "column 1", "has 1 column", "check the column mapping");
  }

  @Test
  void aShortRowFurtherDown() throws IOException {
    Path tsv = file("short.tsv", "sentence\tlabel\ngood\t1\nno label here\n");
    DataFileException e = readFails(tsv, classification("sentence", "label"));
    assertEquals(3, e.line());
    assertMentions(e, "line 3", "column 'label'", "has 1 column but the label column is 1");
  }

  /** GLUE-style files have no header row: read with the default names, the first example was taken for one. */
  @Test
  void aFileWithoutAHeaderReadWithNamesIsToldToDeclareNoHeaderWithIndexColumns() throws IOException {
    Path tsv = file("nohdr.tsv", "our friends wo n't buy this analysis , let alone the next one we propose .\t1\n"
        + "one more pseudo generalization and i 'm giving up .\t1\n");
    DataFileException e = readFails(tsv, classification("sentence", "label"));
    assertMentions(e, tsv.toString(), "'sentence' is not among the column names", "the first row looks like data",
        "set noHeader", "textColumn 0 labelColumn 1");
    assertEquals(List.of("noHeader", "textColumn", "labelColumn"), e.settings());

    Path labelFirst = file("label-first.tsv", "0\tit 's a charming and often affecting journey .\n"
        + "1\tunflinchingly bleak and desperate\n");
    assertMentions(readFails(labelFirst, classification("sentence", "label")), "textColumn 1 labelColumn 0");
  }

  @Test
  void aColumnNameNotInTheHeader() throws IOException {
    Path tsv = file("names.tsv", "text\tlabel\ngood\t1\n");
    DataFileException e = readFails(tsv, classification("sentence", "label"));
    assertMentions(e, tsv.toString(), "line 1", "'sentence'", "[text, label]", "map it to one of these names");
  }

  @Test
  void aColumnNameInAnotherCaseIsPointedOut() throws IOException {
    Path tsv = file("case.tsv", "Sentence\tLabel\ngood\t1\nbad\t0\n");
    assertMentions(readFails(tsv, classification("sentence", "label")), "line 1",
        "'sentence' is not among the column names [Sentence, Label] ('Sentence' differs only in case");
  }

  @Test
  void aMappedNameTwiceInTheHeader() throws IOException {
    Path tsv = file("dup.tsv", "sentence\tsentence\tlabel\nid0\tgood\t1\nid1\tbad\t0\n");
    DataFileException e = readFails(tsv, classification("sentence", "label"));
    assertEquals(1, e.line());
    assertMentions(e, tsv.toString(), "two columns 'sentence' (0 and 1, 0-based)", "map textColumn to the 0-based");
    assertEquals(List.of("textColumn"), e.settings());
  }

  /** A comma in an unquoted CSV cell moved the label column onto a piece of text: a new class, silently. */
  @Test
  void aRowWiderThanTheHeader() throws IOException {
    Path csv = file("wide.csv", "sentence,label\ngood,1\ngood, but long,1\nbad,0\n");
    DataFileException e = readFails(csv, classification("sentence", "label"));
    assertEquals(3, e.line());
    assertMentions(e, csv.toString(), "line 3", "3 cells where the header has 2", "in double quotes");
    Path tsv = file("wide.tsv", "a good film\t1\ntab\there\t0\n");
    assertMentions(readFails(tsv, classification("0", "1")), "line 2", "3 cells where most rows have 2",
        "must not hold a tab");
    // Without a header (--no-header) the first row is no reference: it may be the split one.
    Path first = file("first.tsv", "tab\there\t0\na good film\t1\nfine\t1\n");
    assertMentions(readFails(first, classification("0", "1").withHeader(HeaderMode.ABSENT)), "line 1",
        "3 cells where most rows have 2");
  }

  @Test
  void emptyCellsPastTheLastColumnAreNoExtraColumns() throws IOException {
    Path tsv = file("trailing.tsv", "sentence\tlabel\ngood\t1\t\nbad\t0\t\t\n");
    assertEquals(2, DatasetReader.read(tsv, classification("sentence", "label")).size());
  }

  /** pandas reads an empty cell as NaN, which no tokenizer takes; trained on, it teaches a label for no text. */
  @Test
  void anEmptyText() throws IOException {
    Path tsv = file("empty.tsv", "sentence\tlabel\ngood\t1\n \t0\n");
    DataFileException e = readFails(tsv, classification("sentence", "label"));
    assertEquals(3, e.line());
    assertMentions(e, "column 'sentence'", "the text is empty", "remove the row");
  }

  @Test
  void aNullJsonLabelAsksForALabel() throws IOException {
    Path jsonl = file("d.jsonl", "{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\", \"label\": null}\n");
    DataFileException e = readFails(jsonl, classification("text", "label"));
    assertEquals(2, e.line());
    assertMentions(e, "column 'label'", "has no label", "give every row a label value");
  }

  /** Excel writes ';' where the decimal separator is a comma. */
  @Test
  void aCsvSeparatedBySemicolons() throws IOException {
    Path csv = file("excel.csv", "sentence;label\ngood;1\nbad;0\n");
    assertMentions(readFails(csv, classification("sentence", "label")), "[sentence;label]",
        "the header is one cell that holds ';'", "comma-separated");
  }

  @Test
  void aHeaderAloneReadByIndex() throws IOException {
    Path tsv = file("header.tsv", "sentence\tlabel\n");
    assertMentions(readFails(tsv, classification("0", "1")), "all 1 examples have the label 'label'",
        "if it is a header, the file has no examples");
  }

  @Test
  void namesWithADeclaredHeaderlessFile() throws IOException {
    Path tsv = file("nohead.tsv", "good\t1\n");
    DataFileException e = readFails(tsv, classification("sentence", "label").withHeader(HeaderMode.ABSENT));
    assertMentions(e, "no header row", "by 0-based index");
  }

  @Test
  void anUnknownLabelAtEvaluation() throws IOException {
    Path eval = file("eval.tsv", "sentence\tlabel\nfine\t1\nodd\t2\n");
    LabelSet trained = LabelSet.of(List.of("0", "1"));
    DataFileException e = assertThrows(DataFileException.class,
        () -> DatasetReader.read(eval, classification("sentence", "label"), trained));
    assertEquals(3, e.line());
    assertEquals("'label'", e.column());
    assertMentions(e, eval.toString(), "line 3", "'2' is not one of the known classes [0, 1]");
  }

  @Test
  void trainingLabelsThatDifferOnlyInCase() throws IOException {
    Path tsv = file("case.tsv", "sentence\tlabel\ngood\tpositive\nbad\tnegative\nfine\tPositive\n");
    DataFileException e = readFails(tsv, classification("sentence", "label"));
    assertEquals(4, e.line());
    assertEquals("'label'", e.column());
    assertMentions(e, tsv.toString(), "'Positive' differs only in case from 'positive' (line 2)",
        "write every label of a class the same way");
  }

  @Test
  void anEvaluationLabelInAnotherCaseIsToldTheKnownSpelling() throws IOException {
    Path eval = file("eval.tsv", "sentence\tlabel\nfine\tPositive\n");
    LabelSet trained = LabelSet.of(List.of("negative", "positive"));
    DataFileException e = assertThrows(DataFileException.class,
        () -> DatasetReader.read(eval, classification("sentence", "label"), trained));
    assertMentions(e, "line 2", "'Positive' is not one of the known classes", "'positive' differs only in case");
  }

  @Test
  void anEmptyFile() throws IOException {
    Path empty = file("empty.tsv", "\n  \n");
    DataFileException e = readFails(empty, classification("0", "1"));
    assertMentions(e, empty.toString(), "empty", "one example per line");
  }

  @Test
  void aHeaderWithoutExamples() throws IOException {
    Path header = file("header.tsv", "sentence\tlabel\n");
    assertMentions(readFails(header, classification("sentence", "label")), "header row but no examples");
  }

  @Test
  void aNonNumericRegressionLabel() throws IOException {
    Path tsv = file("scores.tsv", "text\tscore\na\t0.25\nb\thigh\n");
    DataFileException e = readFails(tsv, ReadOptions.of(ColumnMapping.of("text", "score"), Task.REGRESSION));
    assertEquals(3, e.line());
    assertMentions(e, tsv.toString(), "line 3", "column 'score'", "'high' is not a number",
        "classification task");
  }

  @Test
  void aMissingFile() {
    Path missing = dir.resolve("nope.tsv");
    DataFileException e = readFails(missing, classification("0", "1"));
    assertMentions(e, missing.toString(), "does not exist", "check the path");
  }

  @Test
  void anEmptyLabel() throws IOException {
    Path tsv = file("blank.tsv", "good\t1\nbad\t \n");
    assertMentions(readFails(tsv, classification("0", "1")), "line 2", "label is empty");
  }

  @Test
  void trainingDataWithASingleClass() throws IOException {
    Path tsv = file("one.tsv", "good\t1\nfine\t1\n");
    assertMentions(readFails(tsv, classification("0", "1")), "all 2 examples have the label '1'",
        "at least two classes");
  }

  @Test
  void anUnclosedCsvQuote() throws IOException {
    Path csv = file("q.csv", "text,label\ngood,1\n\"never closed,0\n");
    DataFileException e = readFails(csv, classification("text", "label"));
    assertEquals(3, e.line());
    assertMentions(e, "never closed", "\"\"");
  }

  @Test
  void textAfterAClosingCsvQuote() throws IOException {
    Path csv = file("q.csv", "text,label\n\"good\" film,1\n");
    assertMentions(readFails(csv, classification("text", "label")), "line 2", "text follows a closing quote");
  }

  @Test
  void brokenJsonLines() throws IOException {
    Path jsonl = file("d.jsonl", "{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\", \"label\": }\n");
    DataFileException e = readFails(jsonl, classification("text", "label"));
    assertEquals(2, e.line());
    assertMentions(e, "not valid JSON", "one JSON object per line");
  }

  @Test
  void aJsonFileOfOneDocumentIsToldToWriteJsonLines() throws IOException {
    Path json = file("records.json", "[\n {\"text\": \"a\", \"label\": 1},\n {\"text\": \"b\", \"label\": 0}\n]\n");
    DataFileException e = readFails(json, classification("text", "label"));
    assertMentions(e, json.toString(), "line 1", "one JSON document over several lines",
        "orient='records', lines=True");
  }

  @Test
  void aJsonLineWithoutTheMappedKey() throws IOException {
    Path jsonl = file("d.jsonl", "{\"text\": \"a\", \"label\": 1}\n{\"label\": 0}\n");
    DataFileException e = readFails(jsonl, classification("text", "label"));
    assertEquals(2, e.line());
    assertMentions(e, "column 'text'", "has no text");
  }

  @Test
  void textThatIsNotUtf8() throws IOException {
    Path latin1 = Files.write(dir.resolve("latin1.tsv"), new byte[] {'c', 'a', 'f', (byte) 0xE9, '\t', '1'});
    assertMentions(readFails(latin1, classification("0", "1")), "not UTF-8", "save it as UTF-8");
  }

  @Test
  void theFirstByteThatIsNotUtf8IsGivenByLineAndCharacter() throws IOException {
    byte[] head = "sentence\tlabel\nd\u00e9j\u00e0 vu\t1\n".getBytes(StandardCharsets.UTF_8);
    byte[] latin1 = "cr\u00e8me\t0\n".getBytes(StandardCharsets.ISO_8859_1);
    byte[] bytes = new byte[head.length + latin1.length];
    System.arraycopy(head, 0, bytes, 0, head.length);
    System.arraycopy(latin1, 0, bytes, head.length, latin1.length);
    DataFileException e = readFails(Files.write(dir.resolve("mixed.tsv"), bytes), classification("0", "1"));
    assertEquals(3, e.line());
    assertMentions(e, "line 3", "byte 0xE8 (character 3 of the line) is not UTF-8", "Windows-1252",
        "save it as UTF-8");
  }

  @Test
  void utf16TextAsExcelSavesUnicodeText() throws IOException {
    Path utf16 = Files.write(dir.resolve("excel.txt"), "\uFEFFsentence\tlabel\ngood\t1\n"
        .getBytes(StandardCharsets.UTF_16LE));
    assertMentions(readFails(utf16, classification("sentence", "label")), "UTF-16", "save it as UTF-8");
  }

  @Test
  void aGzFileThatIsNotGzip() throws IOException {
    Path gz = file("train.tsv.gz", "sentence\tlabel\ngood\t1\n");
    assertMentions(readFails(gz, classification("sentence", "label")), gz.toString(), "not whole gzip data",
        "drop .gz from its name");
    Path empty = file("empty.tsv.gz", "");
    assertMentions(readFails(empty, classification("sentence", "label")), "not whole gzip data (it is empty or cut"
        + " short)");
  }

  /** Compressed data under a plain name used to be called text "in another encoding", the wrong fix. */
  @Test
  void gzipOrZipDataUnderAPlainNameIsNamedAsSuch() throws IOException {
    java.io.ByteArrayOutputStream gzipped = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gzipped)) {
      out.write("sentence\tlabel\ngood\t1\n".getBytes(StandardCharsets.UTF_8));
    }
    Path gz = Files.write(dir.resolve("train.tsv"), gzipped.toByteArray());
    assertMentions(readFails(gz, classification("sentence", "label")), gz.toString(), "gzip-compressed",
        "add .gz to its name");
    java.io.ByteArrayOutputStream zipped = new java.io.ByteArrayOutputStream();
    try (java.util.zip.ZipOutputStream out = new java.util.zip.ZipOutputStream(zipped)) {
      out.putNextEntry(new java.util.zip.ZipEntry("xl/workbook.xml"));
      out.write("<workbook/>".getBytes(StandardCharsets.UTF_8));
    }
    Path xlsx = Files.write(dir.resolve("train.csv"), zipped.toByteArray());
    assertMentions(readFails(xlsx, classification("sentence", "label")), "zip archive", "CSV UTF-8");
  }

  /** A text of only control characters used to be scored as the empty text; NBSP and U+3000 are white space. */
  @Test
  void aTextOfOnlyControlOrSpaceCharactersIsEmpty() throws IOException {
    for (String text : new String[] {"\u0000\u0000", "\u0001\u0002\u007f", "\u00a0\u3000", "\u200b"}) {
      Path tsv = file("c.tsv", "sentence\tlabel\ngood\t1\n" + text + "\t0\n");
      assertMentions(readFails(tsv, classification("sentence", "label")), "line 3", "the text is empty");
    }
  }

  /** A one-line array of records (pandas' to_json(orient='records'), json.dump) is no JSON Lines file. */
  @Test
  void aJsonArrayOfRecordsOnOneLineIsToldToWriteJsonLines() throws IOException {
    Path json = file("records.jsonl", "[{\"text\": \"a\", \"label\": 1}, {\"text\": \"b\", \"label\": 0}]\n");
    DataFileException e = readFails(json, classification("text", "label"));
    assertMentions(e, "line 1", "a JSON array of objects", "orient='records', lines=True");
  }

  /** Labels beyond float32 or spelling infinity are refused as such, not as "not a number". */
  @Test
  void aRegressionLabelThatIsNotFinite() throws IOException {
    Path tsv = file("big.tsv", "text\tscore\na\t0.25\nb\t1e39\nc\t-inf\n");
    ReadOptions options = ReadOptions.of(ColumnMapping.of("text", "score"), Task.REGRESSION);
    assertMentions(readFails(tsv, options), "line 3", "'1e39' is beyond the range of a float32");
    Path inf = file("inf.tsv", "text\tscore\na\t0.25\nc\t-Infinity\n");
    assertMentions(readFails(inf, options), "line 3", "'-Infinity' is not a finite number");
  }

  /** pandas' to_csv(sep='\t') quotes a text that holds a quote; a .tsv is read with quotes as text. */
  @Test
  void aTsvQuotedByACsvWriter() throws IOException {
    Path tsv = file("pandas.tsv", "sentence\tlabel\ngood\t1\n\"he said \"\"hi\"\"\"\t0\n");
    DataFileException e = readFails(tsv, classification("sentence", "label"));
    assertEquals(3, e.line());
    assertMentions(e, "the cell \"he said \"\"hi\"\"\" is quoted as a CSV writer quotes", "save the file as .csv");
    Path quoteAll = file("all.tsv", "\"sentence\"\t\"label\"\n\"good\"\t\"1\"\n");
    assertMentions(readFails(quoteAll, classification("sentence", "label")), "line 1", "every cell is quoted");
  }

  /**
   * pandas' to_csv(sep='\t') also quotes a text that holds a line break, which a .tsv read line by line cuts in two.
   * With the text first, the row with the opening quote lacks its label; with the text last, the line after the
   * break does, and it ends with the closing quote. Either way the message says why. A row that merely lacks a
   * column keeps the usual advice, as does a .csv row (whose quoting the reader handles).
   */
  @Test
  void aTsvTextQuotedAcrossALineBreak() throws IOException {
    String why = "spans a line break, as a CSV writer quotes a text holding one";
    Path textFirst = file("first.tsv", "sentence\tlabel\ngood\t1\n\"a text with\nits line break\"\t0\n");
    DataFileException e = readFails(textFirst, classification("sentence", "label"));
    assertEquals(3, e.line());
    assertMentions(e, why, "save the file as .csv");
    Path textLast = file("last.tsv", "label\tsentence\n1\tgood\n0\t\"a text with\nits line break\"\n");
    e = readFails(textLast, classification("sentence", "label"));
    assertEquals(4, e.line());
    assertMentions(e, why);
    Path missing = file("short.tsv", "sentence\tlabel\ngood\t1\n\"closed\" quote\n");
    DataFileException plain = readFails(missing, classification("sentence", "label"));
    assertMentions(plain, "check the column mapping");
    assertFalse(plain.getMessage().contains(why), plain.getMessage());
    Path csv = file("short.csv", "sentence,label\ngood,1\n\"\"\"a b\"\n");
    DataFileException csvError = readFails(csv, classification("sentence", "label"));
    assertFalse(csvError.getMessage().contains(why), csvError.getMessage());
  }

  @Test
  void anUnknownExtension() throws IOException {
    Path data = file("data.dat", "a,1\n");
    assertMentions(readFails(data, classification("0", "1")), ".tsv, .csv or .jsonl");
  }
}

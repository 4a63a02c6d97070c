package dev.finetune.vblora.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.table.TableFormat;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading labelled examples from TSV, CSV and JSONL files through a column mapping. */
class DatasetReaderTest {
  private static final ColumnMapping SENTENCE_LABEL = ColumnMapping.of("sentence", "label");
  private static final ColumnMapping TEXT_0_LABEL_1 = ColumnMapping.of("0", "1");

  @TempDir Path dir;

  private Path file(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
  }

  private static List<String> texts(Dataset d) {
    return d.examples().stream().map(Example::text).toList();
  }

  private static int[] classIds(Dataset d) {
    return d.examples().stream().mapToInt(Example::classId).toArray();
  }

  @Test
  void readsATsvWithAHeaderByColumnNames() throws IOException {
    Path tsv = file("train.tsv", "sentence\tlabel\ngreat fun\t1\ndull\t0\n\nso \"good\"\t1\n");
    Dataset d = DatasetReader.read(tsv, ReadOptions.of(SENTENCE_LABEL, Task.CLASSIFICATION));
    assertEquals(List.of("great fun", "dull", "so \"good\""), texts(d), "TSV quotes are plain text");
    assertArrayEquals(new int[] {1, 0, 1}, classIds(d));
    assertEquals(List.of("0", "1"), d.labels().names());
    assertArrayEquals(new int[] {2, 3, 5}, d.examples().stream().mapToInt(Example::line).toArray());
  }

  @Test
  void columnsMayBeGivenByIndexInAnyOrder() throws IOException {
    Path tsv = file("sst.tsv", "1\ta stirring film\n0\ta dull one\n");
    Dataset d = DatasetReader.read(tsv, ReadOptions.of(ColumnMapping.of("1", "0"), Task.CLASSIFICATION));
    assertEquals(List.of("a stirring film", "a dull one"), texts(d));
    assertArrayEquals(new int[] {1, 0}, classIds(d));
  }

  @Test
  void detectsAHeaderRowWhoseLabelCellIsNoLabel() throws IOException {
    Path tsv = file("h.tsv", "sentence\tlabel\ngood\t1\nbad\t0\n");
    Dataset d = DatasetReader.read(tsv, ReadOptions.of(TEXT_0_LABEL_1, Task.CLASSIFICATION));
    assertEquals(List.of("good", "bad"), texts(d));
  }

  @Test
  void detectsAHeaderOverClassNames() throws IOException {
    Path csv = file("h.csv", "text,sentiment\ngood,pos\nbad,neg\nfine,pos\nawful,neg\n");
    Dataset d = DatasetReader.read(csv, ReadOptions.of(TEXT_0_LABEL_1, Task.CLASSIFICATION));
    assertEquals(List.of("neg", "pos"), d.labels().names());
    assertEquals(4, d.size());
  }

  @Test
  void detectsAHeaderForRegression() throws IOException {
    Path tsv = file("r.tsv", "text\tscore\na\t0.5\nb\t-2e-1\n");
    Dataset d = DatasetReader.read(tsv, ReadOptions.of(TEXT_0_LABEL_1, Task.REGRESSION));
    assertEquals(2, d.size());
    assertEquals(0.5f, d.get(0).label());
    assertEquals(-0.2f, d.get(1).label());
    assertNull(d.labels());
  }

  /**
   * A headerless file whose first example has the one label of its class looks like a header over class names:
   * taken for one, the example and its class were lost without a word. Unless a mapped cell of line 1 is a usual
   * column name, the file is refused as ambiguous, with both ways out; --no-header reads every line.
   */
  @Test
  void aFirstRowThatMayBeAHeaderOrARareClassIsRefusedAsAmbiguous() throws IOException {
    Path tsv = file("rare.tsv", "This movie is great\tpositive\nawful\tnegative\ndull\tnegative\nfine\tneutral\n"
        + "boring\tnegative\nnice\tneutral\n");
    ReadOptions options = ReadOptions.of(TEXT_0_LABEL_1, Task.CLASSIFICATION);
    DataFileException e = assertThrows(DataFileException.class, () -> DatasetReader.read(tsv, options));
    assertTrue(e.getMessage().contains("line 1 may be a header or an example: its label 'positive' is found in no"
        + " other line. If line 1 names the columns, map them by name (textColumn 'This movie is great', labelColumn"
        + " 'positive'); if it is an example, set noHeader"), e.getMessage());
    Dataset all = DatasetReader.read(tsv, options.withHeader(HeaderMode.ABSENT));
    assertEquals(6, all.size());
    assertEquals(List.of("negative", "neutral", "positive"), all.labels().names());

    Path odd = file("odd.csv", "phrase,mood\ngood,pos\nbad,neg\nfine,pos\nawful,neg\n");
    assertThrows(DataFileException.class, () -> DatasetReader.read(odd, options), "unusual column names, by index");
    assertEquals(4, DatasetReader.read(odd, ReadOptions.of(ColumnMapping.of("phrase", "mood"), Task.CLASSIFICATION))
        .size(), "by name the header is declared");

    // At evaluation, line 1's label is none of the model's: a header, or an example the model cannot score.
    Path eval = file("eval.tsv", "so-so\tneu\ngood\tpos\nbad\tneg\n");
    LabelSet trained = LabelSet.inOrder(List.of("neg", "pos"));
    DataFileException unknown = assertThrows(DataFileException.class,
        () -> DatasetReader.read(eval, options, trained));
    assertTrue(unknown.getMessage().contains("its label 'neu' is found among none of the model's labels [neg, pos]"),
        unknown.getMessage());
  }

  /** pandas' header for columns named by position (0,1; ,0,1 with the index) is a header, though 1 is a label. */
  @Test
  void theHeaderPandasWritesForUnnamedColumnsIsAHeader() throws IOException {
    Path csv = file("p.csv", "0,1\ngood,1\nbad,0\nfine,1\n");
    assertEquals(List.of("good", "bad", "fine"), texts(DatasetReader.read(csv, ReadOptions.of(TEXT_0_LABEL_1,
        Task.CLASSIFICATION))));
    Path indexed = file("i.csv", ",0,1\n0,good,1\n1,bad,0\n");
    assertEquals(List.of("good", "bad"), texts(DatasetReader.read(indexed, ReadOptions.of(ColumnMapping.of("1", "2"),
        Task.CLASSIFICATION))));
  }

  @Test
  void aFirstRowWithAValidLabelIsData() throws IOException {
    Path tsv = file("n.tsv", "good\t1\nbad\t0\n");
    assertEquals(2, DatasetReader.read(tsv, ReadOptions.of(TEXT_0_LABEL_1, Task.CLASSIFICATION)).size());
  }

  /** Declared header-less, a plain header line would become an example of the class "label". */
  @Test
  void noHeaderOnAFileWhoseFirstLineIsPlainlyAHeaderIsRefused() throws IOException {
    Path tsv = file("glue.tsv", "sentence\tlabel\ngood\t1\nbad\t0\n");
    ReadOptions absent = ReadOptions.of(TEXT_0_LABEL_1, Task.CLASSIFICATION).withHeader(HeaderMode.ABSENT);
    DataFileException e = assertThrows(DataFileException.class, () -> DatasetReader.read(tsv, absent));
    assertTrue(e.getMessage().contains("line 1 names its columns ('sentence', 'label'), but noHeader declares"),
        e.getMessage());
    Path data = file("words.tsv", "text\tpos\nlabel\tneg\nfine\tpos\n");
    assertEquals(3, DatasetReader.read(data, absent).size(), "a usual name as text alone is an example");
  }

  @Test
  void aDeclaredHeaderOrNoHeaderOverridesDetection() throws IOException {
    Path tsv = file("n.tsv", "good\t1\nbad\t0\nokay\t1\n");
    ReadOptions options = ReadOptions.of(TEXT_0_LABEL_1, Task.CLASSIFICATION);
    assertEquals(List.of("bad", "okay"), texts(DatasetReader.read(tsv, options.withHeader(HeaderMode.PRESENT))));
    Path odd = file("odd.tsv", "only\tclass_a\nx\tb\ny\tb\n");
    assertEquals(3, DatasetReader.read(odd, options.withHeader(HeaderMode.ABSENT)).size());
  }

  @Test
  void readsRfc4180Csv() throws IOException {
    Path csv = file("q.csv", "text,label\r\n\"Loud, bright, \"\"fun\"\"\",1\r\n\"two\nlines\",0\r\n5\" screen,1\r\n");
    Dataset d = DatasetReader.read(csv, ReadOptions.of(ColumnMapping.of("text", "label"), Task.CLASSIFICATION));
    assertEquals(List.of("Loud, bright, \"fun\"", "two\nlines", "5\" screen"), texts(d));
    assertArrayEquals(new int[] {2, 3, 5}, d.examples().stream().mapToInt(Example::line).toArray());
  }

  @Test
  void readsJsonLinesByKeyOrByKeyPosition() throws IOException {
    Path jsonl = file("d.jsonl", "{\"premise\": \"a\", \"hypothesis\": \"b\", \"label\": 2}\n"
        + "{\"premise\": \"c\", \"hypothesis\": \"d\", \"label\": 0, \"meta\": {\"x\": 1}}\n");
    Dataset byName = DatasetReader.read(jsonl,
        ReadOptions.of(ColumnMapping.of("premise", "hypothesis", "label"), Task.CLASSIFICATION));
    Dataset byIndex = DatasetReader.read(jsonl,
        ReadOptions.of(ColumnMapping.of("0", "1", "2"), Task.CLASSIFICATION));
    for (Dataset d : List.of(byName, byIndex)) {
      assertEquals(List.of("a", "c"), texts(d));
      assertEquals(List.of("b", "d"), d.examples().stream().map(Example::textPair).toList());
      assertEquals(List.of("0", "2"), d.labels().names());
      assertArrayEquals(new int[] {1, 0}, classIds(d));
    }
  }

  @Test
  void jsonNumbersBecomeLabelNamesAsPythonShowsThem() throws IOException {
    // Python: [str(v) for v in json.loads('[1, 1.0, 2.50, 1e-5]')] == ['1', '1.0', '2.5', '1e-05'], and 1 == 1.0
    Path jsonl = file("n.jsonl", "{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\", \"label\": 1.0}\n"
        + "{\"text\": \"c\", \"label\": 2.50}\n{\"text\": \"d\", \"label\": 1e-5}\n");
    Dataset d = DatasetReader.read(jsonl, ReadOptions.of(ColumnMapping.of("text", "label"), Task.CLASSIFICATION));
    assertEquals(Set.of("1", "2.5", "1e-05"), Set.copyOf(d.labels().names()));
    assertEquals(d.get(0).classId(), d.get(1).classId(), "1 and 1.0 are one class");
  }

  /** pandas writes a label column with a missing value as floats: 1.0 in one file, 1 in the next. */
  @Test
  void labelsWrittenAsFloatsAreTheClassesOfTheirIntegers() throws IOException {
    Path train = file("train.tsv", "sentence\tlabel\ngood\t1.0\nbad\t0.0\nfine\t1\nawful\t0\n");
    Path valid = file("valid.tsv", "sentence\tlabel\nnice\t1\npoor\t0.0\n");
    ReadOptions options = ReadOptions.of(SENTENCE_LABEL, Task.CLASSIFICATION);
    Dataset d = DatasetReader.read(train, options);
    assertEquals(List.of("0", "1"), d.labels().names());
    assertArrayEquals(new int[] {1, 0, 1, 0}, classIds(d));
    assertArrayEquals(new int[] {1, 0}, classIds(DatasetReader.read(valid, options, d.labels())));
  }

  @Test
  void gzipFilesAreReadDecompressedInTheFormatOfTheirInnerName() throws IOException {
    Path gz = dir.resolve("train.csv.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      out.write("text,label\n\"good, really\",1\nbad,0\n".getBytes(StandardCharsets.UTF_8));
    }
    Dataset d = DatasetReader.read(gz, ReadOptions.of(ColumnMapping.of("text", "label"), Task.CLASSIFICATION));
    assertEquals(List.of("good, really", "bad"), texts(d));
  }

  @Test
  void aQuoteThatOpensATsvTextIsText() throws IOException {
    Path tsv = file("glue.tsv", "sentence\tlabel\n\" the film opens\t1\n\"quoted\" start\t0\n\"all in quotes\"\t1\n");
    Dataset d = DatasetReader.read(tsv, ReadOptions.of(SENTENCE_LABEL, Task.CLASSIFICATION));
    assertEquals(List.of("\" the film opens", "\"quoted\" start", "\"all in quotes\""), texts(d));
  }

  @Test
  void theFormatCanBeDeclaredForOtherFileNames() throws IOException {
    Path data = file("data.dat", "a,1\nb,0\n");
    ReadOptions options = ReadOptions.of(TEXT_0_LABEL_1, Task.CLASSIFICATION).withFormat(TableFormat.CSV);
    assertEquals(2, DatasetReader.read(data, options).size());
  }

  @Test
  void readsSentencePairs() throws IOException {
    Path tsv = file("p.tsv", "s1\ts2\tlabel\nA man sleeps.\tA person rests.\tentailment\nIt rains.\tIt is dry."
        + "\tcontradiction\n");
    Dataset d = DatasetReader.read(tsv, ReadOptions.of(ColumnMapping.of("s1", "s2", "label"),
        Task.CLASSIFICATION));
    assertEquals("A person rests.", d.get(0).textPair());
    assertEquals("contradiction", d.labels().name(d.get(1).classId()));
  }

  @Test
  void evaluationUsesTheTrainingLabelOrder() throws IOException {
    Path train = file("train.tsv", "x\tneg\ny\tpos\nz\tneutral\n");
    Path eval = file("eval.tsv", "p\tpos\nq\tneg\n");
    ReadOptions options = ReadOptions.of(TEXT_0_LABEL_1, Task.CLASSIFICATION);
    LabelSet trained = DatasetReader.read(train, options).labels();
    Dataset d = DatasetReader.read(eval, options, trained);
    assertEquals(trained, d.labels());
    assertArrayEquals(new int[] {trained.idOf("pos").getAsInt(), trained.idOf("neg").getAsInt()}, classIds(d));
  }
}

package dev.finetune.vblora.savedmodel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The table writer's files read back entry for entry; BERT's own index survives a rewrite. */
class SortedStringTableTest {

  private static SortedStringTable.Entry entry(String key, String value) {
    return new SortedStringTable.Entry(key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aWrittenTableReadsBackEveryEntryInOrder() {
    List<SortedStringTable.Entry> entries = List.of(entry("", "header"), entry("a/kernel", "x".repeat(300)),
        entry("a/kernel/Adam", ""), entry("b", "\u0000\u00ff"));
    List<SortedStringTable.Entry> read = SortedStringTable.read(SortedStringTable.write(entries), "test");
    assertEquals(entries.size(), read.size());
    for (int i = 0; i < entries.size(); i++) {
      assertArrayEquals(entries.get(i).key(), read.get(i).key(), "key " + i);
      assertArrayEquals(entries.get(i).value(), read.get(i).value(), "value " + i);
    }
  }

  @Test
  void bertsCheckpointIndexRewrittenHoldsTheSameEntriesAndAFlippedByteIsCaught() throws Exception {
    byte[] original = Files.readAllBytes(TestModels.bert().resolve("variables/variables.index"));
    List<SortedStringTable.Entry> entries = SortedStringTable.read(original, "bert");
    byte[] rewritten = SortedStringTable.write(entries);
    List<SortedStringTable.Entry> again = SortedStringTable.read(rewritten, "rewritten");
    assertEquals(entries.size(), again.size());
    for (int i = 0; i < entries.size(); i++) {
      assertArrayEquals(entries.get(i).key(), again.get(i).key());
      assertArrayEquals(entries.get(i).value(), again.get(i).value());
    }
    rewritten[10] ^= 1;
    assertThrows(SavedModelException.class, () -> SortedStringTable.read(rewritten, "damaged"));
  }
}

package dev.finetune.vblora.savedmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a checkpoint patch leaves behind when it cannot finish: nothing of its own, and nobody else's file. */
class CheckpointPatchTest {
  private static final String QUERY = "module/bert/encoder/layer_0/attention/self/query/kernel";

  @Test
  void aDataFileAlreadyInTheTargetIsNeitherOverwrittenNorDeleted(@TempDir Path dir) throws Exception {
    Path base = TestModels.bert().resolve("variables/variables");
    Path target = dir.resolve("variables/variables");
    Files.createDirectories(target.getParent());
    Path theirs = target.resolveSibling("variables.data-00000-of-00001");
    Files.writeString(theirs, "not ours");
    assertThrows(FileAlreadyExistsException.class,
        () -> CheckpointPatch.write(base, target, List.of(QUERY), (key, w) -> w));
    assertEquals("not ours", Files.readString(theirs));
    assertFalse(Files.exists(target.resolveSibling("variables.index")));
  }

  @Test
  void aRefusedValueLeavesNoPartialCheckpoint(@TempDir Path dir) throws Exception {
    Path base = TestModels.bert().resolve("variables/variables");
    Path target = dir.resolve("variables/variables");
    assertThrows(IllegalArgumentException.class, () -> CheckpointPatch.write(base, target, List.of(QUERY),
        (key, w) -> {
          throw new IllegalArgumentException("refused");
        }));
    try (var left = Files.list(target.getParent())) {
      assertEquals(List.of(), left.toList(), "the copied data file is removed again");
    }
  }
}

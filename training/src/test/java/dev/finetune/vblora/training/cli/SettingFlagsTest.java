package dev.finetune.vblora.training.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.error.VbLoraException;
import java.util.List;
import org.junit.jupiter.api.Test;

class SettingFlagsTest {
  @Test
  void everySettingTheErrorListsBecomesItsOption() {
    VbLoraException e = new InvalidSettingException(List.of("resume", "overwrite", "out"), "output folder run"
        + " exists; set resume to continue the run there, overwrite to replace it, or choose another out folder");
    assertEquals("output folder run exists; set --resume to continue the run there, --overwrite to replace it,"
        + " or choose another --out folder", SettingFlags.translate(e));
  }

  @Test
  void camelAndPeftSnakeNamesBothTranslateButLongerWordsStay() {
    assertEquals("--lr-bank must be > 0 (--valid-fraction stays, outputs stay)", SettingFlags.translate(
        new InvalidSettingException(List.of("lrBank", "out"), "lrBank must be > 0 (--valid-fraction stays,"
            + " outputs stay)")));
    assertEquals("--vector-length 256 does not divide in_features 312", SettingFlags.translate(
        new InvalidSettingException("vectorLength", "vector_length 256 does not divide in_features 312")));
  }

  @Test
  void anErrorAboutNoSettingKeepsItsMessage() {
    assertEquals("model m is not a SavedModel", SettingFlags.translate(new VbLoraException("model m is not a"
        + " SavedModel")));
  }
}

package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class UpdateFormTest {

  @Test
  void theCommandLineSpellingRoundTrips() {
    for (UpdateForm form : UpdateForm.values()) {
      assertEquals(form, UpdateForm.parse(form.label()));
    }
    assertEquals("low-rank", UpdateForm.LOW_RANK.label());
    assertEquals(UpdateForm.MERGED, UpdateForm.parse(" Merged "));
  }

  @Test
  void anUnknownFormNamesTheChoices() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> UpdateForm.parse("dense"));
    assertTrue(e.getMessage().contains("low-rank") && e.getMessage().contains("dense"), e.getMessage());
  }

  @Test
  void automaticIsAMergedFormOnlyOnAGpuWithoutAdapterDropoutAndFactoredOnlyForFloat32Products() {
    assertEquals(UpdateForm.MERGED_FACTORED, UpdateForm.automatic(true, true, 0.0));
    assertEquals(UpdateForm.MERGED, UpdateForm.automatic(true, false, 0.0));
    assertEquals(UpdateForm.LOW_RANK, UpdateForm.automatic(true, true, 0.1));
    assertEquals(UpdateForm.LOW_RANK, UpdateForm.automatic(false, true, 0.0));
    assertEquals(UpdateForm.LOW_RANK, UpdateForm.automatic(false, false, 0.0));
  }
}

package dev.finetune.vblora.training.device;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** TF_SYNC_ON_FINISH is read as TensorFlow reads it, so the bench reports what the sessions really do. */
class SyncOnFinishTest {
  @Test
  void unsetOrTrueMeansEveryCallWaits() {
    assertTrue(SyncOnFinish.waitsForDevice(null));
    assertTrue(SyncOnFinish.waitsForDevice("1"));
    assertTrue(SyncOnFinish.waitsForDevice("true"));
  }

  @Test
  void zeroOrFalseInAnyCaseMeansCallsWithoutAFetchReturnEarly() {
    assertFalse(SyncOnFinish.waitsForDevice("0"));
    assertFalse(SyncOnFinish.waitsForDevice("false"));
    assertFalse(SyncOnFinish.waitsForDevice("FALSE"));
  }
}

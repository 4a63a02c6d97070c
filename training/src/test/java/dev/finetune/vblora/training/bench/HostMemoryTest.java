package dev.finetune.vblora.training.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.ops.testing.RequiredInCi;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class HostMemoryTest {
  @Test
  void parsesProcStatusKilobytes() {
    assertEquals(123456L, HostMemory.parseKiloBytes("\t  123456 kB"));
  }

  @Test
  void thePeakIsAtLeastTheCurrentResidentSetAndAtLeastTheJavaHeapInUse() {
    RequiredInCi.assume(Files.isReadable(Path.of("/proc/self/status")), "needs Linux /proc");
    long now = HostMemory.residentBytes().orElseThrow();
    long peak = HostMemory.peakResidentBytes().orElseThrow(); // read second: the set may grow in between
    Runtime runtime = Runtime.getRuntime();
    assertTrue(peak >= now, peak + " < " + now);
    assertTrue(now >= runtime.totalMemory() - runtime.freeMemory(), "RSS below the heap in use");
  }
}

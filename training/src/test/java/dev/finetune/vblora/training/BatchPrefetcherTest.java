package dev.finetune.vblora.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BatchPrefetcherTest {
  /** A prepared item that counts how often it is closed. */
  private static final class Prepared implements AutoCloseable {
    final int value;
    final AtomicInteger closes = new AtomicInteger();

    Prepared(int value) {
      this.value = value;
    }

    @Override
    public void close() {
      closes.incrementAndGet();
    }
  }

  /** Remembers every item it prepared, so the test can check each was closed exactly once. */
  private static final class Preparer {
    final List<Prepared> made = new ArrayList<>();

    synchronized Prepared prepare(int value) {
      Prepared item = new Prepared(value);
      made.add(item);
      return item;
    }

    synchronized List<Prepared> made() {
      return List.copyOf(made);
    }
  }

  private static Iterator<Integer> source(int n) {
    return IntStream.range(0, n).boxed().iterator();
  }

  @Test
  void itemsComeOutInSourceOrderAndThenTheSourceEnds() {
    Preparer preparer = new Preparer();
    List<Integer> taken = new ArrayList<>();
    try (BatchPrefetcher<Integer, Prepared> prefetcher = new BatchPrefetcher<>(source(50), preparer::prepare, 2)) {
      for (int i = 0; i < 50; i++) {
        try (Prepared item = prefetcher.take()) {
          taken.add(item.value);
        }
      }
      assertThrows(NoSuchElementException.class, prefetcher::take);
      assertThrows(NoSuchElementException.class, prefetcher::take, "the end stays the end");
    }
    assertEquals(IntStream.range(0, 50).boxed().toList(), taken);
    preparer.made().forEach(item -> assertEquals(1, item.closes.get(), "item " + item.value));
  }

  @Test
  void closingMidStreamClosesEveryPreparedItemOnce() {
    Preparer preparer = new Preparer();
    BatchPrefetcher<Integer, Prepared> prefetcher = new BatchPrefetcher<>(source(1000), preparer::prepare, 2);
    for (int i = 0; i < 3; i++) {
      prefetcher.take().close(); // the taker closes what it took
    }
    prefetcher.close();
    List<Prepared> made = preparer.made();
    assertTrue(made.size() >= 3 && made.size() < 1000, "prepared " + made.size() + " of 1000 before closing");
    made.forEach(item -> assertEquals(1, item.closes.get(), "item " + item.value));
    assertThrows(IllegalStateException.class, prefetcher::take);
  }

  @Test
  void closingBeforeTakingAnythingClosesWhatWasPrepared() {
    Preparer preparer = new Preparer();
    new BatchPrefetcher<>(source(10), preparer::prepare, 2).close();
    preparer.made().forEach(item -> assertEquals(1, item.closes.get(), "item " + item.value));
  }

  @Test
  void aFailedPreparationIsRethrownOnTakeWithItsCause() {
    RuntimeException boom = new IllegalArgumentException("batch 2 has no labels");
    Preparer preparer = new Preparer();
    try (BatchPrefetcher<Integer, Prepared> prefetcher = new BatchPrefetcher<>(source(5), value -> {
      if (value == 2) {
        throw boom;
      }
      return preparer.prepare(value);
    }, 2)) {
      assertEquals(0, prefetcher.take().value);
      assertEquals(1, prefetcher.take().value);
      IllegalStateException thrown = assertThrows(IllegalStateException.class, prefetcher::take);
      assertSame(boom, thrown.getCause());
      assertTrue(thrown.getMessage().contains("batch 2 has no labels"), thrown.getMessage());
      assertSame(boom, assertThrows(IllegalStateException.class, prefetcher::take).getCause(),
          "a failure stays a failure");
    }
  }

  @Test
  void depthMustBePositive() {
    assertThrows(IllegalArgumentException.class, () -> new BatchPrefetcher<>(source(1), v -> new Prepared(v), 0));
  }
}

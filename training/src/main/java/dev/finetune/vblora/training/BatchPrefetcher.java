package dev.finetune.vblora.training;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.function.Function;

/**
 * Prepares the next items of a source on one daemon thread, so that preparing step n+1's feed tensors overlaps
 * with the session running step n. Items come out in source order. At most {@code depth} prepared items wait in
 * the queue (plus the one being prepared); {@link #close()} closes every prepared item nobody took, so each one
 * is closed exactly once: by the taker, or here.
 *
 * @param <S> what the source yields (a batch)
 * @param <T> what is prepared from it (the batch's feed tensors)
 */
public final class BatchPrefetcher<S, T extends AutoCloseable> implements AutoCloseable {
  /** Queued after the last item. */
  private static final Object END = new Object();

  /** Queued instead of an item when the source or the preparation failed. */
  private record Failure(Throwable cause) {}

  private final BlockingQueue<Object> queue;
  private final Thread worker;
  private volatile boolean closed;
  private Object last; // END or a Failure once taken, answered again by every later take()

  /** Starts preparing at once. */
  public BatchPrefetcher(Iterator<S> source, Function<S, T> prepare, int depth) {
    if (depth < 1) {
      throw new VbLoraException("prefetch depth " + depth + " must be at least 1");
    }
    this.queue = new ArrayBlockingQueue<>(depth);
    this.worker = new Thread(() -> produce(source, prepare), "vblora-batch-prefetch");
    worker.setDaemon(true);
    worker.start();
  }

  private void produce(Iterator<S> source, Function<S, T> prepare) {
    Object signal = END;
    try {
      while (!closed && source.hasNext()) {
        T item = prepare.apply(source.next());
        try {
          queue.put(item);
        } catch (InterruptedException e) {
          closeQuietly(item);
          return;
        }
      }
    } catch (Throwable e) { // any failure must reach the loop thread, or take() would wait forever
      signal = new Failure(e);
    }
    try {
      queue.put(signal);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * The next prepared item, waiting for it if needed; the caller closes it.
   *
   * @throws NoSuchElementException when the source has no more items
   * @throws IllegalStateException when reading the source or preparing an item failed (with that cause), or
   *     this prefetcher is closed
   */
  @SuppressWarnings("unchecked")
  public T take() {
    if (closed) {
      throw new IllegalStateException("the batch prefetcher is closed");
    }
    Object next = last;
    if (next == null) {
      try {
        next = queue.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the next batch", e);
      }
    }
    if (next == END) {
      last = END;
      throw new NoSuchElementException("the batch source has no more batches");
    }
    if (next instanceof Failure failure) {
      last = failure;
      throw new IllegalStateException("preparing the next batch failed: " + failure.cause(), failure.cause());
    }
    return (T) next;
  }

  /** Stops preparing and closes the prepared items nobody took. */
  @Override
  public void close() {
    closed = true;
    boolean interrupted = false;
    while (worker.isAlive()) {
      drain(); // frees the queue for a worker blocked in put(), which then sees closed and stops
      try {
        worker.join(100);
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    drain();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void drain() {
    for (Object item = queue.poll(); item != null; item = queue.poll()) {
      if (item != END && !(item instanceof Failure)) {
        closeQuietly(item);
      }
    }
  }

  private static void closeQuietly(Object item) {
    try {
      ((AutoCloseable) item).close();
    } catch (Exception e) {
      // Closing feed tensors does not fail; nothing a caller could do about it here either.
    }
  }
}

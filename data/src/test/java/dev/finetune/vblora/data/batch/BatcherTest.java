package dev.finetune.vblora.data.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.data.LabelSet;
import dev.finetune.vblora.data.Task;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Batches: padding to buckets, complete reproducible epochs, resumption, file order for evaluation. */
class BatcherTest {
  private static final int PAD = 0;

  /**
   * Example i has length 3 + (i * 7) % 40 tokens: [CLS]=101, i+1000 repeated, [SEP]=102; label i % 2;
   * segment 1 on its last two positions.
   */
  private static EncodedDataset data(int n) {
    List<EncodedExample> examples = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int length = 3 + (i * 7) % 40;
      int[] ids = new int[length];
      Arrays.fill(ids, 1000 + i);
      ids[0] = 101;
      ids[length - 1] = 102;
      int[] segments = new int[length];
      segments[length - 1] = 1;
      segments[length - 2] = 1;
      examples.add(new EncodedExample(ids, segments, i % 2));
    }
    return new EncodedDataset(Task.CLASSIFICATION, LabelSet.of(List.of("0", "1")), 64, PAD, examples);
  }

  private static int[] flatten(int[][] plan) {
    return Arrays.stream(plan).flatMapToInt(Arrays::stream).toArray();
  }

  @Test
  void fullBatchesFillAShortBatchWithCopiesOfItsFirstExampleThatWeighNothing() {
    EncodedDataset data = data(10);
    BatchingOptions options = BatchingOptions.evaluation(4, 64).withFullBatches(true);
    List<Batch> batches = new Batcher(data, options).epoch(0);
    assertEquals(List.of(4, 4, 4), batches.stream().map(Batch::size).toList(), "every batch has 4 rows");
    Batch last = batches.get(2);
    assertArrayEquals(new int[] {8, 9}, last.exampleIndices(), "only the real rows are examples");
    assertEquals(2, last.examples());
    assertEquals(2, last.paddingRows());
    assertArrayEquals(new float[] {1, 1, 0, 0}, last.exampleWeights());
    for (int row = 2; row < 4; row++) {
      assertArrayEquals(last.inputIds()[0], last.inputIds()[row], "padding row " + row + " repeats row 0");
      assertArrayEquals(last.inputMask()[0], last.inputMask()[row]);
      assertArrayEquals(last.segmentIds()[0], last.segmentIds()[row]);
      assertEquals(last.labels()[0], last.labels()[row]);
    }
    assertEquals(data.get(8).length() + data.get(9).length(), last.realTokens(), "padding rows hold no real tokens");
    Batch asTheyFall = new Batcher(data, BatchingOptions.evaluation(4, 64)).epoch(0).get(2);
    assertEquals(2, asTheyFall.size(), "without full batches the last batch stays short");
    assertArrayEquals(new float[] {1, 1}, asTheyFall.exampleWeights());
  }

  @Test
  void padsEachBatchToTheBucketOfItsLongestExample() {
    EncodedDataset data = data(10);
    Batch batch = new Batcher(data, BatchingOptions.evaluation(4, 64)).assemble(new int[] {0, 1, 2});
    // lengths 3, 10, 17 -> bucket 32
    assertEquals(32, batch.sequenceLength());
    assertEquals(3, batch.size());
    for (int row = 0; row < 3; row++) {
      EncodedExample e = data.get(row);
      int[] expectedIds = new int[32];
      int[] expectedMask = new int[32];
      int[] expectedSegments = new int[32];
      System.arraycopy(e.inputIds(), 0, expectedIds, 0, e.length());
      System.arraycopy(e.segmentIds(), 0, expectedSegments, 0, e.length());
      Arrays.fill(expectedMask, 0, e.length(), 1);
      assertArrayEquals(expectedIds, batch.inputIds()[row]);
      assertArrayEquals(expectedMask, batch.inputMask()[row]);
      assertArrayEquals(expectedSegments, batch.segmentIds()[row]);
    }
    assertArrayEquals(new int[] {0, 1, 0}, batch.labelIds());
    assertArrayEquals(new int[] {0, 1, 2}, batch.exampleIndices());
    assertEquals(3 + 10 + 17, batch.realTokens());
  }

  @Test
  void evaluationKeepsFileOrderAndTheLastPartialBatch() {
    Batcher batcher = new Batcher(data(10), BatchingOptions.evaluation(4, 64));
    assertEquals(3, batcher.batchesPerEpoch());
    int[][] plan = batcher.plan(0);
    assertArrayEquals(new int[] {8, 9}, plan[2]);
    assertArrayEquals(IntStream.range(0, 10).toArray(), flatten(plan));
    assertArrayEquals(flatten(plan), flatten(batcher.plan(5)));
  }

  @Test
  void everyTrainingEpochUsesEachExampleOnceInANewOrder() {
    Batcher batcher = new Batcher(data(50), BatchingOptions.training(8, 64, 42));
    assertEquals(7, batcher.batchesPerEpoch());
    int[] epoch0 = flatten(batcher.plan(0));
    int[] epoch1 = flatten(batcher.plan(1));
    assertArrayEquals(IntStream.range(0, 50).toArray(), Arrays.stream(epoch0).sorted().toArray());
    assertArrayEquals(IntStream.range(0, 50).toArray(), Arrays.stream(epoch1).sorted().toArray());
    assertFalse(Arrays.equals(epoch0, epoch1));
  }

  @Test
  void theOrderOfAnEpochFollowsFromSeedAndEpochAlone() {
    BatchingOptions options = BatchingOptions.training(8, 64, 42);
    Batcher first = new Batcher(data(50), options);
    first.plan(0);
    first.plan(1);
    int[][] epoch2 = first.plan(2);
    Batcher resumed = new Batcher(data(50), options); // a new process that starts at epoch 2
    assertArrayEquals(epoch2, resumed.plan(2));
    assertFalse(Arrays.deepEquals(epoch2, new Batcher(data(50), BatchingOptions.training(8, 64, 43)).plan(2)));
  }

  @Test
  void resumingInsideAnEpochGivesTheRemainingBatches() {
    Batcher batcher = new Batcher(data(50), BatchingOptions.training(8, 64, 42));
    List<Batch> whole = batcher.epoch(3);
    Iterator<Batch> rest = batcher.epoch(3, 4);
    for (int b = 4; b < whole.size(); b++) {
      Batch expected = whole.get(b);
      Batch actual = rest.next();
      assertArrayEquals(expected.exampleIndices(), actual.exampleIndices());
      assertTrue(Arrays.deepEquals(expected.inputIds(), actual.inputIds()));
    }
    assertFalse(rest.hasNext());
    assertArrayEquals(whole.get(5).exampleIndices(), batcher.batch(3, 5).exampleIndices());
  }

  @Test
  void dropLastLeavesOutTheSmallBatch() {
    Batcher batcher = new Batcher(data(50), BatchingOptions.training(8, 64, 42).withDropLast(true));
    assertEquals(6, batcher.batchesPerEpoch());
    assertTrue(Arrays.stream(batcher.plan(0)).allMatch(b -> b.length == 8));
  }

  @Test
  void lengthGroupingPadsLessAndStillUsesEveryExampleOnce() {
    EncodedDataset data = data(200);
    BatchingOptions plain = BatchingOptions.training(8, 64, 7);
    Batcher grouped = new Batcher(data, plain.withLengthGrouping(10));
    int[] order = flatten(grouped.plan(0));
    assertArrayEquals(IntStream.range(0, 200).toArray(), Arrays.stream(order).sorted().toArray());
    assertArrayEquals(grouped.plan(0), new Batcher(data, plain.withLengthGrouping(10)).plan(0));
    assertTrue(paddedPositions(grouped) < paddedPositions(new Batcher(data, plain)),
        "grouping similar lengths should need fewer padded positions");
  }

  private static long paddedPositions(Batcher batcher) {
    return batcher.epoch(0).stream().mapToLong(b -> (long) b.size() * b.sequenceLength()).sum();
  }

  @Test
  void classificationAndRegressionLabelsAreNotMixedUp() {
    Batch classes = new Batcher(data(4), BatchingOptions.evaluation(4, 64)).batch(0, 0);
    assertThrows(IllegalStateException.class, classes::labelValues);
    EncodedDataset scores = new EncodedDataset(Task.REGRESSION, null, 16, PAD,
        List.of(new EncodedExample(new int[] {101, 102}, new int[2], 0.75f)));
    Batch values = new Batcher(scores, BatchingOptions.evaluation(4, 16)).batch(0, 0);
    assertArrayEquals(new float[] {0.75f}, values.labelValues());
    assertThrows(IllegalStateException.class, values::labelIds);
  }

  @Test
  void refusesBucketsShorterThanTheLongestExampleAndTakesShorterOnesThanTheMaxLength() {
    // data(4): 3, 10, 17 and 24 tokens, encoded with max length 64
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Batcher(data(4), BatchingOptions.evaluation(4, 16)));
    assertTrue(e.getMessage().contains("24 tokens"), e.getMessage());
    Batch one = new Batcher(data(4), BatchingOptions.evaluation(4, LengthBuckets.of(24))).batch(0, 0);
    assertEquals(24, one.sequenceLength(), "one bucket that fits the longest example is enough");
  }
}

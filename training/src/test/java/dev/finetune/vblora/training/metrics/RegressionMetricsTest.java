package dev.finetune.vblora.training.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RegressionMetricsTest {

  @Test
  void pearsonWorkedByHand() {
    // dx = (-2,-1,0,1,2), dy = (-2,0,1,0,1): 6 / sqrt(10 * 6)
    RegressionMetrics m = RegressionMetrics.compute(new double[] {1, 2, 3, 4, 5}, new double[] {2, 4, 5, 4, 5});
    assertEquals(6 / Math.sqrt(60), m.pearson(), 1e-15);
  }

  @Test
  void spearmanGivesTiesTheirAverageRank() {
    // scipy's spearmanr([1,2,3,4,5], [5,6,7,8,7]) = 0.8207826816681233: ranks (1,2,3.5,5,3.5), 8/sqrt(95)
    assertArrayEquals(new double[] {1, 2, 3.5, 5, 3.5}, RegressionMetrics.averageRanks(new double[] {5, 6, 7, 8, 7}));
    RegressionMetrics m = RegressionMetrics.compute(new double[] {1, 2, 3, 4, 5}, new double[] {5, 6, 7, 8, 7});
    assertEquals(8 / Math.sqrt(95), m.spearman(), 1e-15);
    assertEquals(0.8207826816681233, m.spearman(), 1e-12);
  }

  @Test
  void spearmanIsOneForAnyIncreasingMap() {
    RegressionMetrics m = RegressionMetrics.compute(new double[] {0.1, 0.5, 0.2, 3}, new double[] {1, 125, 8, 2.7e4});
    assertEquals(1.0, m.spearman(), 1e-15);
    assertTrue(m.pearson() < 1, "not linear");
  }

  @Test
  void sklearnMeanSquaredErrorDocstringExample() {
    assertEquals(0.375, RegressionMetrics.compute(new double[] {3, -0.5, 2, 7}, new double[] {2.5, 0.0, 2, 8}).mse(),
        1e-15);
  }

  @Test
  void constantPredictionsHaveNoCorrelation() {
    RegressionMetrics m = RegressionMetrics.compute(new double[] {1, 2, 3}, new double[] {2, 2, 2});
    assertTrue(Double.isNaN(m.pearson()));
    assertTrue(Double.isNaN(m.spearman()));
    assertEquals(2.0 / 3, m.mse(), 1e-15);
  }

  @Test
  void valuesUseStableNames() {
    RegressionMetrics m = RegressionMetrics.compute(new double[] {1, 2}, new double[] {1, 2});
    assertEquals(List.of("pearson", "spearman", "mse"), List.copyOf(m.values().keySet()));
  }
}

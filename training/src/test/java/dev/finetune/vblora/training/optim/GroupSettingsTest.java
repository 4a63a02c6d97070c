package dev.finetune.vblora.training.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.vblora.model.ElementType;
import dev.finetune.vblora.model.ResourceVariable;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;

class GroupSettingsTest {

  @Test
  void paperDefaultsBecomeThreeGroups() {
    try (Graph g = new Graph()) {
      Ops tf = Ops.create(g);
      ResourceVariable bank = variable(tf, "bank");
      ResourceVariable logitsA = variable(tf, "logits_a");
      ResourceVariable logitsB = variable(tf, "logits_b");
      ResourceVariable kernel = variable(tf, "kernel");
      List<ParameterGroup> groups = VbLoraGroupSettings.paperDefaults()
          .toGroups(List.of(bank), List.of(logitsA, logitsB), List.of(kernel));
      assertEquals(List.of("bank", "logits", "head"), groups.stream().map(ParameterGroup::name).toList());
      assertEquals(1e-3, groups.get(0).learningRate());
      assertEquals(0.0, groups.get(0).weightDecay());
      assertEquals(1e-2, groups.get(1).learningRate());
      assertEquals(List.of(logitsA, logitsB), groups.get(1).variables());
      assertEquals(4e-3, groups.get(2).learningRate());
      assertEquals(0.01, groups.get(2).weightDecay());

      VbLoraGroupSettings custom = VbLoraGroupSettings.paperDefaults()
          .withHead(VbLoraGroupSettings.paperDefaults().head().withLearningRate(1e-4));
      assertEquals(1, custom.toGroups(List.of(), List.of(), List.of(kernel)).size(), "empty groups are left out");
      assertEquals(1e-4, custom.toGroups(List.of(), List.of(), List.of(kernel)).get(0).learningRate());
    }
  }

  @Test
  void invalidSettingsNameTheValue() {
    IllegalArgumentException lr = assertThrows(IllegalArgumentException.class,
        () -> new GroupHyperparameters(0, 0));
    assertTrue(lr.getMessage().contains("learning rate 0.0"), lr.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new GroupHyperparameters(1e-3, -1));
    assertThrows(IllegalArgumentException.class, () -> new AdamWConfig(1.0, 0.999, 1e-8, 1));
    assertThrows(IllegalArgumentException.class, () -> AdamWConfig.defaults().withMaxGradNorm(-1));
    IllegalArgumentException name = assertThrows(IllegalArgumentException.class,
        () -> new ParameterGroup("a/b", List.of(), 1e-3, 0));
    assertTrue(name.getMessage().contains("a/b"), name.getMessage());
  }

  private static ResourceVariable variable(Ops tf, String name) {
    return new ResourceVariable(name, tf.constant(0f), ElementType.F32, Shape.scalar());
  }
}

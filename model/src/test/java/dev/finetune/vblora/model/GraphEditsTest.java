package dev.finetune.vblora.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/** The two GraphDef edits of the rewrite, on hand-written graphs. */
class GraphEditsTest {
  private static NodeDef node(String name, String... inputs) {
    return NodeDef.newBuilder().setName(name).setOp("Identity").addAllInput(List.of(inputs)).build();
  }

  private static List<String> names(GraphDef graph) {
    return graph.getNodeList().stream().map(NodeDef::getName).collect(Collectors.toList());
  }

  @Test
  void dropsSaversOtherThanTheModelsOwn() {
    GraphDef graph = GraphDef.newBuilder()
        .addNode(node("w")).addNode(node("save/Const")).addNode(node("save/restore_all", "^save/Const"))
        .addNode(node("save_1/Const")).addNode(node("save_2/Const")).addNode(node("save_2/restore_all", "w"))
        .addNode(node("saved_thing/x")).addNode(node("save_10/y"))
        .build();
    assertEquals(List.of("w", "save_2/Const", "save_2/restore_all", "saved_thing/x"),
        names(StaleSaverScopes.drop(graph, "save_2")));
  }

  @Test
  void keepsASaverSomethingElseStillUses() {
    GraphDef graph = GraphDef.newBuilder()
        .addNode(node("save/Const")).addNode(node("init", "^save/Const")).addNode(node("save_1/Const")).build();
    assertSame(graph, StaleSaverScopes.drop(graph, "save_1"));
  }

  @Test
  void rewiresOnlyOriginalConsumersOfOutputZero() {
    GraphDef graph = GraphDef.newBuilder()
        .addNode(node("x")).addNode(node("mm", "x"))
        .addNode(node("bias", "mm")).addNode(node("other", "mm:0", "^mm", "mm:1"))
        .addNode(node("adapter/add", "mm", "x"))
        .build();
    GraphDef rewired = ConsumerRewiring.rewire(graph, Set.of("x", "mm", "bias", "other"),
        Map.of("mm", "adapter/add:0"));
    assertEquals(List.of("adapter/add:0"), rewired.getNode(2).getInputList());
    assertEquals(List.of("adapter/add:0", "^mm", "mm:1"), rewired.getNode(3).getInputList());
    assertEquals(List.of("mm", "x"), rewired.getNode(4).getInputList(), "the adapter still reads the base output");
  }

  @ParameterizedTest
  @CsvSource({"a/b:3, a/b, 3, false", "a/b, a/b, 0, false", "^a/b, a/b, 0, true", "a:b, a:b, 0, false"})
  void parsesTensorNames(String text, String node, int index, boolean control) {
    assertEquals(new TensorName(node, index, control), TensorName.parse(text));
  }
}

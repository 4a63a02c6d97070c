package dev.finetune.vblora.model;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.train.Restore;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.MetaGraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.SaverDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;
import org.tensorflow.types.family.TType;

/** A TF1 saver for a test model's float32 variables, as a SavedModel carries one, and checkpoints written by it. */
final class ToySaver {
  /** How the saver's key and slice vectors store their strings. */
  enum Strings {
    /** One by one in string_val, as Python's saver writes them. */
    PYTHON,
    /** Encoded in tensor_content, as TF-Java (TensorFlow's C API) writes string constants. */
    TF_JAVA
  }

  private ToySaver() {}

  /**
   * {@code metaGraph} with a saver of {@code variables}: save/Const is fed the checkpoint prefix,
   * save/control_dependency saves, save/restore_all restores.
   */
  static MetaGraphDef withSaver(MetaGraphDef metaGraph, List<String> variables, Strings strings) {
    try (Graph g = new Graph()) {
      g.importGraphDef(metaGraph.getGraphDef());
      Ops save = Ops.create(g).withSubScope("save");
      Placeholder<TString> prefix = save.withName("Const").placeholder(TString.class);
      List<String> empty = Collections.nCopies(variables.size(), "");
      Operand<TString> keys = save.withName("tensor_names").constant(
          NdArrays.vectorOfObjects(variables.toArray(String[]::new)));
      Operand<TString> slices = save.withName("shape_and_slices").constant(
          NdArrays.vectorOfObjects(empty.toArray(String[]::new)));
      List<Operand<?>> values = new ArrayList<>();
      variables.forEach(v -> values.add(save.readVariableOp(g.operationOrThrow(v).output(0), TFloat32.class)));
      Op saved = save.train.save(prefix, keys, slices, values);
      Operand<TString> saveTensor = save.withName("control_dependency").withControlDependencies(List.of(saved))
          .identity(prefix);
      List<Class<? extends TType>> types = Collections.nCopies(variables.size(), TFloat32.class);
      Restore restored = save.train.restore(prefix, keys, slices, types);
      List<Op> assigns = new ArrayList<>();
      for (int i = 0; i < variables.size(); i++) {
        assigns.add(save.assignVariableOp(g.operationOrThrow(variables.get(i)).output(0), restored.tensors().get(i)));
      }
      Op restoreAll = save.withName("restore_all").withControlDependencies(assigns).noOp();
      SaverDef saver = SaverDef.newBuilder().setFilenameTensorName(prefix.op().name() + ":0")
          .setSaveTensorName(saveTensor.op().name() + ":0").setRestoreOpName(restoreAll.op().name())
          .setVersion(SaverDef.CheckpointFormatVersion.V2).build();
      GraphDef.Builder graph = g.toGraphDef().toBuilder();
      if (strings == Strings.PYTHON) {
        for (int i = 0; i < graph.getNodeCount(); i++) {
          String name = graph.getNode(i).getName();
          if (name.equals(keys.op().name()) || name.equals(slices.op().name())) {
            graph.setNode(i, stringVal(graph.getNode(i), name.equals(keys.op().name()) ? variables : empty));
          }
        }
      }
      return metaGraph.toBuilder().setGraphDef(graph).setSaverDef(saver).build();
    }
  }

  /** Writes {@code weights} as the checkpoint at {@code prefix} through the saver of {@code withSaver}. */
  static void save(MetaGraphDef withSaver, Map<String, float[][]> weights, Path prefix) {
    SaverDef saver = withSaver.getSaverDef();
    try (Graph g = new Graph()) {
      g.importGraphDef(withSaver.getGraphDef());
      try (Session session = new Session(g); TString file = TString.scalarOf(prefix.toString())) {
        TinyEncoder.assign(g, session, weights);
        session.runner().feed(saver.getFilenameTensorName(), file).fetch(saver.getSaveTensorName()).run().close();
      }
    }
  }

  /** {@code constant} holding {@code values} in string_val. */
  private static NodeDef stringVal(NodeDef constant, List<String> values) {
    TensorProto.Builder tensor = TensorProto.newBuilder().setDtype(DataType.DT_STRING)
        .setTensorShape(TensorShapeProto.newBuilder().addDim(TensorShapeProto.Dim.newBuilder().setSize(values.size())));
    values.forEach(v -> tensor.addStringVal(ByteString.copyFromUtf8(v)));
    return constant.toBuilder().putAttr("value", AttrValue.newBuilder().setTensor(tensor).build()).build();
  }
}

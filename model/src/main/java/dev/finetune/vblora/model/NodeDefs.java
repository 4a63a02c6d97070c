package dev.finetune.vblora.model;

import java.util.List;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.NodeDef;

/** The NodeDefs the graph rewrites write op by op: element-wise ops, casts and reductions over one axis input. */
final class NodeDefs {
  private NodeDefs() {}

  static AttrValue typeAttr(DataType type) {
    return AttrValue.newBuilder().setType(type).build();
  }

  /** {@code op}(input), with T = {@code type}. */
  static NodeDef unary(String op, String name, String input, DataType type, String device) {
    return NodeDef.newBuilder().setName(name).setOp(op).setDevice(device).addInput(input)
        .putAttr("T", typeAttr(type)).build();
  }

  /** Cast(input) from {@code from} to {@code to}, rounding to nearest (Truncate false). */
  static NodeDef cast(String name, String input, DataType from, DataType to, String device) {
    return NodeDef.newBuilder().setName(name).setOp("Cast").setDevice(device).addInput(input)
        .putAttr("SrcT", typeAttr(from)).putAttr("DstT", typeAttr(to))
        .putAttr("Truncate", AttrValue.newBuilder().setB(false).build()).build();
  }

  /** {@code op}(a, b), with T = {@code type}. */
  static NodeDef binary(String op, String name, String a, String b, DataType type, String device) {
    return NodeDef.newBuilder().setName(name).setOp(op).setDevice(device).addInput(a).addInput(b)
        .putAttr("T", typeAttr(type)).build();
  }

  /** {@code op}(input, axis) keeping the reduced dimensions (Max, Sum, Mean), the axis an int32 tensor. */
  static NodeDef reduction(String op, String name, String input, String axis, DataType type, String device) {
    return NodeDef.newBuilder().setName(name).setOp(op).setDevice(device).addInput(input).addInput(axis)
        .putAttr("T", typeAttr(type)).putAttr("Tidx", typeAttr(DataType.DT_INT32))
        .putAttr("keep_dims", AttrValue.newBuilder().setB(true).build()).build();
  }

  /**
   * A rewrite's marker: an IdentityN over {@code inputs} of {@code types}, whose gradient {@link MarkerGradients}
   * dispatches by the name's last segment; its output 0 carries the value the rewritten op computed.
   */
  static NodeDef marker(String name, String device, List<String> inputs, List<DataType> types) {
    AttrValue.ListValue.Builder list = AttrValue.ListValue.newBuilder();
    types.forEach(list::addType);
    return NodeDef.newBuilder().setName(name).setOp("IdentityN").setDevice(device).addAllInput(inputs)
        .putAttr("T", AttrValue.newBuilder().setList(list).build()).build();
  }
}

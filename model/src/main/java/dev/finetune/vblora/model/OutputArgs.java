package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.HashMap;
import java.util.Map;
import org.tensorflow.internal.c_api.TF_Buffer;
import org.tensorflow.internal.c_api.global.tensorflow;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.FunctionDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.OpDef;
import org.tensorflow.proto.OpList;

/**
 * Where a named output of a node lies among its flat outputs. Function bodies name outputs
 * {@code node:output_arg:index} while a GraphDef names them {@code node:flat_index}; the two differ for ops with
 * several output args or list-valued ones (e.g. {@code TopKV2:indices:0} is flat output 1), so the op's
 * registered OpDef decides.
 */
final class OutputArgs {
  private static Map<String, OpDef> registered;

  private final Map<String, FunctionDef> library;

  OutputArgs(Map<String, FunctionDef> library) {
    this.library = library;
  }

  /** The flat output index of {@code arg:index} of {@code node}. */
  int flatIndex(NodeDef node, String arg, int index) {
    OpDef def = opDef(node);
    int flat = 0;
    for (OpDef.ArgDef out : def.getOutputArgList()) {
      if (out.getName().equals(arg)) {
        return flat + index;
      }
      flat += count(node, def, out);
    }
    throw new VbLoraException("op " + node.getOp() + " of node " + node.getName() + " has no output "
        + arg);
  }

  /**
   * The {@code output_arg:index} name of flat output {@code flat} of {@code node}, as a function body refers to
   * it: the inverse of {@link #flatIndex}.
   */
  String argName(NodeDef node, int flat) {
    OpDef def = opDef(node);
    int first = 0;
    for (OpDef.ArgDef out : def.getOutputArgList()) {
      int count = count(node, def, out);
      if (flat < first + count) {
        return out.getName() + ":" + (flat - first);
      }
      first += count;
    }
    throw new VbLoraException("node " + node.getName() + " (" + node.getOp() + ") has " + first
        + " outputs, not " + (flat + 1));
  }

  private OpDef opDef(NodeDef node) {
    FunctionDef function = library.get(node.getOp());
    OpDef def = function != null ? function.getSignature() : registered().get(node.getOp());
    if (def == null) {
      throw new VbLoraException("node " + node.getName() + " runs op " + node.getOp()
          + ", which this TensorFlow build does not know");
    }
    return def;
  }

  private static int count(NodeDef node, OpDef def, OpDef.ArgDef out) {
    if (!out.getNumberAttr().isEmpty()) {
      return Math.toIntExact(attr(node, def, out.getNumberAttr()).getI());
    }
    if (!out.getTypeListAttr().isEmpty()) {
      return attr(node, def, out.getTypeListAttr()).getList().getTypeCount();
    }
    return 1;
  }

  private static AttrValue attr(NodeDef node, OpDef def, String name) {
    AttrValue value = node.getAttrMap().get(name);
    if (value != null) {
      return value;
    }
    for (OpDef.AttrDef attr : def.getAttrList()) {
      if (attr.getName().equals(name) && attr.hasDefaultValue()) {
        return attr.getDefaultValue();
      }
    }
    throw new VbLoraException("node " + node.getName() + " (" + node.getOp() + ") has no attr " + name);
  }

  /** Every op this TensorFlow build registers, read once (the C API is the only place that lists them). */
  private static synchronized Map<String, OpDef> registered() {
    if (registered == null) {
      TF_Buffer buffer = tensorflow.TF_GetAllOpList();
      try {
        Map<String, OpDef> ops = new HashMap<>();
        OpList.parseFrom(buffer.copyData()).getOpList().forEach(op -> ops.put(op.getName(), op));
        registered = ops;
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new IllegalStateException("TensorFlow's op list could not be read", e);
      } finally {
        tensorflow.TF_DeleteBuffer(buffer);
      }
    }
    return registered;
  }
}

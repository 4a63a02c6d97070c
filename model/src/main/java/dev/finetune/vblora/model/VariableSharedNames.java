package dev.finetune.vblora.model;

import com.google.protobuf.ByteString;
import java.util.Set;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * Gives the adapter's VarHandleOps their node name as shared_name. With an empty shared_name every such
 * handle in a session names the same resource, so all adapter variables would silently be one; TF-Java's
 * varHandleOp cannot take the op's final name at creation, hence this edit of the exported GraphDef.
 */
final class VariableSharedNames {
  private VariableSharedNames() {}

  static GraphDef assign(GraphDef graph, Set<String> handles) {
    GraphDef.Builder out = graph.toBuilder();
    for (int i = 0; i < out.getNodeCount(); i++) {
      NodeDef node = out.getNode(i);
      if (handles.contains(node.getName())) {
        out.setNode(i, node.toBuilder().putAttr("shared_name",
            AttrValue.newBuilder().setS(ByteString.copyFromUtf8(node.getName())).build()));
      }
    }
    return out.build();
  }
}

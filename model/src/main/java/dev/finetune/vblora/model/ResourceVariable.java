package dev.finetune.vblora.model;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.Objects;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.AssignVariableOp;
import org.tensorflow.op.core.ReadVariableOp;
import org.tensorflow.op.core.VarHandleOp;
import org.tensorflow.types.family.TType;

/**
 * A resource variable of the graph (VarHandleOp): the kind the imported BERT graph uses and the kind
 * {@code Graph.addGradients} differentiates through, summing over every ReadVariableOp of it.
 *
 * @param name logical name, also the key in checkpoints (e.g. "head/kernel", "adamw/m/head/kernel")
 * @param handle the VarHandleOp's resource output
 * @param type element type
 * @param shape fully known shape
 */
public record ResourceVariable(String name, Operand<? extends TType> handle, ElementType type, Shape shape) {

  public ResourceVariable {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(handle, "handle");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(shape, "shape");
    if (name.isBlank()) {
      throw new VbLoraException("a variable needs a non-blank name");
    }
    if (shape.isUnknown() || shape.hasUnknownDimension()) {
      throw new VbLoraException("variable " + name + " has shape " + shape
          + "; trainer variables need a fully known shape");
    }
  }

  /**
   * Creates a variable initialised to {@code initialValue} by {@code Session.initialize()}. Its VarHandleOp
   * is named exactly {@code name} (characters an op name may not hold become '_') and uses that name as
   * its shared_name, as TensorFlow's Python variables do: a VarHandleOp with an empty shared_name would
   * share one resource with every other such handle in the session.
   *
   * @throws IllegalArgumentException when the graph already has an operation of that name
   */
  public static <T extends TType> ResourceVariable create(Ops tf, String name, Operand<T> initialValue) {
    ResourceVariable variable = declare(tf, name, initialValue.type(), initialValue.shape());
    Graph graph = (Graph) tf.scope().env();
    graph.opBuilder(AssignVariableOp.OP_NAME, initializerName(name), tf.withInitScope().scope())
        .addInput(variable.handle().asOutput())
        .addInput(initialValue.asOutput())
        .setAttr("dtype", variable.type().dataType())
        .build();
    return variable;
  }

  /**
   * Creates the VarHandleOp only, named exactly {@code name} (characters an op name may not hold become '_')
   * with that name as its shared_name; the caller assigns it a value (e.g. an adapter's own seeded init op).
   *
   * @throws IllegalArgumentException when the graph already has an operation of that name
   */
  public static ResourceVariable declare(Ops tf, String name, Class<? extends TType> type, Shape shape) {
    if (!(tf.scope().env() instanceof Graph graph)) {
      throw new IllegalStateException("resource variables are built in graph mode only");
    }
    String opName = OpNames.path(name);
    if (graph.operation(opName) != null) {
      throw new VbLoraException("the graph already has an operation named " + opName
          + "; give variable " + name + " a unique name");
    }
    ElementType elementType = ElementType.of(type);
    GraphOperation op = graph.opBuilder(VarHandleOp.OP_NAME, opName, tf.scope())
        .setAttr("dtype", elementType.dataType())
        .setAttr("shape", shape)
        .setAttr("container", "")
        .setAttr("shared_name", opName)
        .build();
    return new ResourceVariable(name, new VarHandleOp(op), elementType, shape);
  }

  /**
   * The op that assigns a created variable its initial value: "OPNAME/Assign". Session.initialize() runs
   * it; after a GraphDef round trip (toGraphDef, importGraphDef) TF-Java no longer knows it as an
   * initializer, and it must be run by this name.
   */
  public static String initializerName(String name) {
    return OpNames.path(name) + "/Assign";
  }

  /** Wraps a VarHandleOp that is already in the graph (e.g. an imported model's kernel). */
  public static ResourceVariable of(GraphOperation varHandleOp) {
    if (!VarHandleOp.OP_NAME.equals(varHandleOp.type())) {
      throw new VbLoraException("operation " + varHandleOp.name() + " is a " + varHandleOp.type()
          + ", not a VarHandleOp; only resource variables can be trained or checkpointed here");
    }
    return new ResourceVariable(varHandleOp.name(), varHandleOp.output(0),
        ElementType.of(varHandleOp.attributes().getAttrType("dtype")),
        varHandleOp.attributes().getAttrShape("shape"));
  }

  /** A new read of the current value. */
  public <T extends TType> ReadVariableOp<T> read(Ops tf, Class<T> expected) {
    if (type.tensorType() != expected) {
      throw new VbLoraException("variable " + name + " holds " + type + ", not "
          + expected.getSimpleName());
    }
    return tf.readVariableOp(handle, expected);
  }

  /** A new read of the current value, typed by the variable's own element type. */
  public ReadVariableOp<? extends TType> read(Ops tf) {
    return tf.readVariableOp(handle, type.tensorType());
  }

  public long elementCount() {
    return shape.size();
  }
}

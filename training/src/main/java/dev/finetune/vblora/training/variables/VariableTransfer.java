package dev.finetune.vblora.training.variables;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.model.ResourceVariable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.AssignVariableOp;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.family.TType;

/**
 * Moves the values of a fixed set of variables between a Session and Java memory: what a checkpoint
 * saves and what a resume puts back, bit for bit. The read and assign ops are added to the graph once,
 * when this is built, so that saving and restoring never grow the graph.
 */
public final class VariableTransfer {
  private final List<ResourceVariable> variables;
  private final List<Operand<?>> reads = new ArrayList<>();
  private final List<Placeholder<?>> feeds = new ArrayList<>();
  private final List<AssignVariableOp> assigns = new ArrayList<>();

  private VariableTransfer(List<ResourceVariable> variables) {
    this.variables = List.copyOf(variables);
  }

  /** Adds the read and assign ops for {@code variables} under the scope "variable_transfer". */
  public static VariableTransfer build(Ops tf, List<ResourceVariable> variables) {
    requireUniqueNames(variables);
    VariableTransfer transfer = new VariableTransfer(variables);
    Ops scope = tf.withSubScope("variable_transfer");
    for (ResourceVariable v : variables) {
      transfer.reads.add(v.read(scope));
      Placeholder<? extends TType> feed = scope.placeholder(v.type().tensorType(),
          Placeholder.shape(v.shape()));
      transfer.feeds.add(feed);
      transfer.assigns.add(scope.assignVariableOp(v.handle(), feed));
    }
    return transfer;
  }

  public List<ResourceVariable> variables() {
    return variables;
  }

  /** The current values, by variable name, in one Session run (so they are mutually consistent). */
  public Map<String, HostTensor> read(Session session) {
    Map<String, HostTensor> values = new LinkedHashMap<>();
    if (variables.isEmpty()) {
      return values;
    }
    Session.Runner runner = session.runner();
    reads.forEach(runner::fetch);
    try (Result result = runner.run()) {
      for (int i = 0; i < variables.size(); i++) {
        values.put(variables.get(i).name(), HostTensor.copyOf(result.get(i)));
      }
    }
    return values;
  }

  /**
   * Puts {@code values} into the variables, in one Session run. Every variable must have a value of its
   * own type and shape, and no value may be left over: a partial or mismatched restore is an error, not a
   * silent mix of old and new state.
   */
  public void assign(Session session, Map<String, HostTensor> values) {
    checkCoverage(values);
    List<Tensor> tensors = new ArrayList<>();
    try {
      Session.Runner runner = session.runner();
      for (int i = 0; i < variables.size(); i++) {
        ResourceVariable v = variables.get(i);
        HostTensor value = values.get(v.name());
        checkMatches(v, value);
        Tensor t = value.toTensor();
        tensors.add(t);
        runner.feed(feeds.get(i), t).addTarget(assigns.get(i));
      }
      if (!variables.isEmpty()) {
        runner.run().close();
      }
    } finally {
      tensors.forEach(Tensor::close);
    }
  }

  private void checkCoverage(Map<String, HostTensor> values) {
    TreeSet<String> missing = new TreeSet<>();
    TreeSet<String> expected = new TreeSet<>();
    for (ResourceVariable v : variables) {
      expected.add(v.name());
      if (!values.containsKey(v.name())) {
        missing.add(v.name());
      }
    }
    TreeSet<String> unknown = new TreeSet<>(values.keySet());
    unknown.removeAll(expected);
    if (!missing.isEmpty() || !unknown.isEmpty()) {
      throw new VbLoraException("the saved values do not match the graph's variables: missing "
          + missing + ", not in the graph " + unknown
          + "; restore only into a graph built with the same configuration as the one that was saved");
    }
  }

  private static void checkMatches(ResourceVariable v, HostTensor value) {
    if (value.type() != v.type() || !Arrays.equals(value.shape(), v.shape().asArray())) {
      throw new VbLoraException("saved value of " + v.name() + " is " + value.type() + " "
          + Arrays.toString(value.shape()) + " but the variable is " + v.type() + " " + v.shape()
          + "; restore only into a graph built with the same configuration as the one that was saved");
    }
  }

  private static void requireUniqueNames(List<ResourceVariable> variables) {
    TreeSet<String> seen = new TreeSet<>();
    for (ResourceVariable v : variables) {
      if (!seen.add(v.name())) {
        throw new VbLoraException("variable name " + v.name() + " appears twice; names are"
            + " checkpoint keys and must be unique");
      }
    }
  }
}

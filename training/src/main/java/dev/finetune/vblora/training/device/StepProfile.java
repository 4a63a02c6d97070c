package dev.finetune.vblora.training.device;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunMetadata;

/**
 * Where the time of one traced step went, per op type and device, from the step stats of a FULL_TRACE run.
 *
 * <p>On a GPU, TensorFlow reports the kernels as they ran on the device under separate device entries such as
 * {@code /device:GPU:0/stream:all} (all streams together) and {@code /device:GPU:0/stream:7}; the executor's
 * entries ({@code /job:localhost/replica:0/task:0/device:GPU:0}) only time the kernel launches. So the GPU
 * streams are used when present: {@code stream:all} alone (the per-stream entries repeat its kernels), else
 * every stream entry. Without stream entries (a CPU run, or a GPU run without CUPTI) the executor entries are
 * used.
 *
 * @param devices the step stats device strings the figures come from
 * @param source {@code gpu streams} or {@code executor}: which kind of entries those are
 * @param spanNanos from the first op's start to the last op's end over those entries
 * @param opNanos all op time summed (ops that run side by side count twice, so this may exceed the span)
 * @param ops per (op type, device), the most time first
 * @param busyNanos time in which at least one op ran (the union of their intervals): span minus busy is the
 *     time the device sat idle inside the step, waiting on launches or the host
 * @param kernels per kernel (GPU streams: the kernel's name as the trace labels it; else the node name),
 *     the most time first: under XLA every kernel belongs to one op (the whole-step XLA call, or an _XlaRun),
 *     so this is where its time shows
 * @param entries every timed entry of every device (the executor's host-side entries too, which show what
 *     the host did between kernels), in start order, relative to the first of the summed entries
 */
public record StepProfile(List<String> devices, String source, long spanNanos, long opNanos, List<OpTime> ops,
    long busyNanos, List<OpTime> kernels, List<Entry> entries) {

  /** One timed op or kernel: when it started (relative to the step's first), how long, on which device. */
  public record Entry(String device, String node, String label, long startNanos, long nanos) {}

  /**
   * @param op the op type (e.g. {@code MatMul}, {@code _XlaRun}, or a whole-step call's function name), {@code ?}
   *     when the trace does not say
   * @param device the step stats device string
   * @param nanos total time of its executions
   * @param count executions (kernels on a GPU stream: one op may launch several)
   * @param share {@code nanos} over the step's summed op time
   */
  public record OpTime(String op, String device, long nanos, int count, double share) {}

  public StepProfile {
    devices = List.copyOf(devices);
    ops = List.copyOf(ops);
    kernels = List.copyOf(kernels);
    entries = List.copyOf(entries);
  }

  /** The {@code n} op types that took the most time. */
  public List<OpTime> top(int n) {
    return ops.subList(0, Math.min(n, ops.size()));
  }

  /** The profile of a traced run's metadata (step stats; partition graphs name the op types when present). */
  public static StepProfile of(RunMetadata metadata) {
    Map<String, String> opOfNode = new HashMap<>();
    for (GraphDef partition : metadata.getPartitionGraphsList()) {
      for (NodeDef node : partition.getNodeList()) {
        opOfNode.put(node.getName(), node.getOp());
      }
    }
    List<DeviceStepStats> all = metadata.getStepStats().getDevStatsList();
    List<DeviceStepStats> chosen = all.stream().filter(d -> d.getDevice().endsWith("/stream:all")).toList();
    if (chosen.isEmpty()) {
      chosen = all.stream().filter(d -> d.getDevice().contains("/stream:")).toList();
    }
    String source = chosen.isEmpty() ? "executor" : "gpu streams";
    if (chosen.isEmpty()) {
      chosen = all;
    }
    Map<List<String>, long[]> totals = new LinkedHashMap<>(); // (op, device) -> {nanos, count}
    Map<List<String>, long[]> kernelTotals = new LinkedHashMap<>(); // (kernel, device) -> {nanos, count}
    List<Entry> entries = new ArrayList<>();
    TreeSet<String> devices = new TreeSet<>();
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    long sum = 0;
    for (DeviceStepStats device : chosen) {
      devices.add(device.getDevice());
      for (NodeExecStats node : device.getNodeStatsList()) {
        long start = start(node);
        long nanos = duration(node);
        first = Math.min(first, start);
        last = Math.max(last, start + nanos);
        sum += nanos;
        long[] t = totals.computeIfAbsent(List.of(opType(node, opOfNode), device.getDevice()), k -> new long[2]);
        t[0] += nanos;
        t[1]++;
        long[] k = kernelTotals.computeIfAbsent(List.of(kernelName(node), device.getDevice()), key -> new long[2]);
        k[0] += nanos;
        k[1]++;
        entries.add(new Entry(device.getDevice(), node.getNodeName(), node.getTimelineLabel(), start, nanos));
      }
    }
    long origin = first;
    List<Entry> summed = sortedFrom(entries, origin);
    for (DeviceStepStats device : all) {
      if (!chosen.contains(device)) {
        for (NodeExecStats node : device.getNodeStatsList()) {
          entries.add(new Entry(device.getDevice(), node.getNodeName(), node.getTimelineLabel(), start(node),
              duration(node)));
        }
      }
    }
    List<OpTime> ops = new ArrayList<>();
    long total = sum;
    totals.forEach((key, t) -> ops.add(new OpTime(key.get(0), key.get(1), t[0], (int) t[1],
        total > 0 ? (double) t[0] / total : 0)));
    ops.sort(Comparator.comparingLong(OpTime::nanos).reversed().thenComparing(OpTime::op));
    List<OpTime> kernels = new ArrayList<>();
    kernelTotals.forEach((key, t) -> kernels.add(new OpTime(key.get(0), key.get(1), t[0], (int) t[1],
        total > 0 ? (double) t[0] / total : 0)));
    kernels.sort(Comparator.comparingLong(OpTime::nanos).reversed().thenComparing(OpTime::op));
    return new StepProfile(List.copyOf(devices), source, first <= last ? last - first : 0, sum, ops,
        busy(summed), kernels, sortedFrom(entries, origin));
  }

  private static List<Entry> sortedFrom(List<Entry> entries, long origin) {
    return entries.stream().map(e -> new Entry(e.device(), e.node(), e.label(), e.startNanos() - origin, e.nanos()))
        .sorted(Comparator.comparingLong(Entry::startNanos)).toList();
  }

  /** The union of the entries' intervals (entries sorted by start). */
  static long busy(List<Entry> sorted) {
    long busy = 0;
    long coveredUntil = Long.MIN_VALUE;
    for (Entry e : sorted) {
      long end = e.startNanos() + e.nanos();
      if (end > coveredUntil) {
        busy += end - Math.max(e.startNanos(), coveredUntil);
        coveredUntil = end;
      }
    }
    return busy;
  }

  /** The n kernels that took the most time. */
  public List<OpTime> topKernels(int n) {
    return kernels.subList(0, Math.min(n, kernels.size()));
  }

  /** A GPU kernel's name from its trace label (at most 120 characters), else the node's name. */
  static String kernelName(NodeExecStats node) {
    String label = node.getTimelineLabel().strip();
    String name = label.isEmpty() ? node.getNodeName() : label;
    return name.length() > 120 ? name.substring(0, 120) : name;
  }

  /** all_start in nanoseconds where TensorFlow gives them, else from microseconds. */
  static long start(NodeExecStats node) {
    return node.getAllStartNanos() > 0 ? node.getAllStartNanos() : node.getAllStartMicros() * 1000;
  }

  /** all_end_rel (scheduling to end), else op_end - op_start; nanoseconds where TensorFlow gives them. */
  static long duration(NodeExecStats node) {
    if (node.getAllEndRelNanos() > 0) {
      return node.getAllEndRelNanos();
    }
    if (node.getOpEndRelNanos() > node.getOpStartRelNanos()) {
      return node.getOpEndRelNanos() - node.getOpStartRelNanos();
    }
    if (node.getAllEndRelMicros() > 0) {
      return node.getAllEndRelMicros() * 1000;
    }
    return Math.max(0, node.getOpEndRelMicros() - node.getOpStartRelMicros()) * 1000;
  }

  /**
   * The op type of a step stats entry: executor entries carry the node's name, GPU stream entries
   * {@code name:OpType} (or a kernel name in the timeline label), so the name is looked up in the partition
   * graphs first, then the part after the last colon is taken, then the label's {@code name = OpType(...)}.
   */
  static String opType(NodeExecStats node, Map<String, String> opOfNode) {
    String name = node.getNodeName();
    String known = opOfNode.get(name);
    if (known != null) {
      return known;
    }
    int colon = name.lastIndexOf(':');
    if (colon > 0) {
      known = opOfNode.get(name.substring(0, colon));
      if (known != null) {
        return known;
      }
      String suffix = name.substring(colon + 1);
      if (!suffix.isEmpty() && !Character.isDigit(suffix.charAt(0))) {
        return suffix;
      }
    }
    String label = node.getTimelineLabel();
    int equals = label.indexOf(" = ");
    int paren = label.indexOf('(', Math.max(equals, 0));
    if (equals > 0 && paren > equals + 3) {
      return label.substring(equals + 3, paren).trim();
    }
    return name.isEmpty() ? "?" : name;
  }
}

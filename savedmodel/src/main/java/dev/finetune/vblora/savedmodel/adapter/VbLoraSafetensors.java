package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.error.VbLoraException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PEFT's tensor layout of a VB-LoRA adapter_model.safetensors (keys without the adapter name):
 * <ul>
 *   <li>{@code base_model.vblora_vector_bank} [h, b] F32
 *   <li>{@code base_model.model.<module>.vblora_logits_A} / {@code _B}: full logits, F32
 *   <li>{@code base_model.model.<module>.vblora_logits_A_topk_indices} / {@code _B_...} [.., k]: U8 if h &lt; 2^8,
 *       I16 if h &lt; 2^15, I32 if h &lt; 2^31, else I64 (PEFT's rule)
 *   <li>{@code base_model.model.<module>.vblora_logits_A_topk_weights} / {@code _B_...} [.., k-1] F32
 * </ul>
 * PEFT writes the bank, the logits and the top-k weights in the adapter's dtype: F32 here and usually in PEFT, F16 or
 * BF16 from a half-precision model; all are read.
 */
final class VbLoraSafetensors {
  static final String BANK_KEY = "base_model.vblora_vector_bank";
  static final String MODULE_PREFIX = "base_model.model.";
  private static final String LOGITS_A = ".vblora_logits_A";
  private static final String LOGITS_B = ".vblora_logits_B";
  private static final String INDICES = "_topk_indices";
  private static final String WEIGHTS = "_topk_weights";
  private static final List<String> SUFFIXES = List.of(LOGITS_A, LOGITS_B, LOGITS_A + INDICES,
      LOGITS_B + INDICES, LOGITS_A + WEIGHTS, LOGITS_B + WEIGHTS);

  private VbLoraSafetensors() {}

  /** PEFT's choice of index dtype for a bank of {@code numVectors} vectors. */
  static Dtype indexDtype(int numVectors) {
    if (numVectors < (1 << 8)) {
      return Dtype.U8;
    }
    if (numVectors < (1 << 15)) {
      return Dtype.I16;
    }
    return Dtype.I32; // PEFT's I64 case (h >= 2^31) cannot occur with an int h
  }

  static boolean isAdapterKey(String key) {
    return key.equals(BANK_KEY) || (key.startsWith(MODULE_PREFIX) && suffixOf(key) != null);
  }

  /** The file PEFT would write for {@code adapter}, in the layout its config asks for. */
  static SafetensorsFile toFile(VbLoraAdapter adapter) {
    PeftVbLoraConfig config = adapter.config();
    Map<String, StoredTensor> tensors = new LinkedHashMap<>();
    float[][] bank = adapter.vectorBank();
    float[] flatBank = new float[bank.length * adapter.vectorLength()];
    for (int i = 0; i < bank.length; i++) {
      System.arraycopy(bank[i], 0, flatBank, i * adapter.vectorLength(), adapter.vectorLength());
    }
    tensors.put(BANK_KEY, StoredTensor.ofFloats(new long[] {bank.length, adapter.vectorLength()}, flatBank));
    for (VbLoraModule module : adapter.modules()) {
      VbLoraModule stored = config.saveOnlyTopkWeights() ? module.toTopK(config.topk()) : module;
      String stem = MODULE_PREFIX + stored.path();
      putFactor(tensors, stem + LOGITS_A, stored.logitsA());
      putFactor(tensors, stem + LOGITS_B, stored.logitsB());
    }
    tensors.putAll(adapter.otherTensors());
    return SafetensorsFile.pytorch(tensors);
  }

  private static void putFactor(Map<String, StoredTensor> tensors, String key, SubVectorLogits logits) {
    if (logits instanceof FullLogits full) {
      tensors.put(key, StoredTensor.ofFloats(shape(full, full.numVectors()), full.values()));
    } else {
      TopKLogits topK = (TopKLogits) logits;
      long[] indices = Arrays.stream(topK.indices()).asLongStream().toArray();
      tensors.put(key + INDICES, StoredTensor.ofIntegers(indexDtype(topK.numVectors()), shape(topK, topK.k()),
          indices));
      tensors.put(key + WEIGHTS, StoredTensor.ofFloats(shape(topK, topK.k() - 1), topK.weights()));
    }
  }

  private static long[] shape(SubVectorLogits logits, int last) {
    return new long[] {logits.rows(), logits.cols(), last};
  }

  /** Reads an adapter from a file PEFT wrote (full logits or top-k, any integer index dtype). */
  static VbLoraAdapter fromFile(PeftVbLoraConfig config, SafetensorsFile file, String source)
      throws AdapterFormatException {
    StoredTensor bankTensor = file.tensor(BANK_KEY).orElseThrow(() -> new AdapterFormatException(source,
        "has no tensor \"" + BANK_KEY + "\"; " + missingBankHint(file)));
    float[][] bank = readBank(bankTensor, config, source);
    Map<String, Map<String, StoredTensor>> byModule = new LinkedHashMap<>();
    Map<String, StoredTensor> others = new LinkedHashMap<>();
    file.tensors().forEach((key, tensor) -> {
      String suffix = key.startsWith(MODULE_PREFIX) ? suffixOf(key) : null;
      if (suffix != null) {
        String path = key.substring(MODULE_PREFIX.length(), key.length() - suffix.length());
        byModule.computeIfAbsent(path, p -> new LinkedHashMap<>()).put(suffix, tensor);
      } else if (!key.equals(BANK_KEY)) {
        others.put(key, tensor);
      }
    });
    if (byModule.isEmpty()) {
      throw new AdapterFormatException(source, "holds no vblora_logits tensors; it is not a VB-LoRA adapter file");
    }
    List<VbLoraModule> modules = new ArrayList<>();
    for (Map.Entry<String, Map<String, StoredTensor>> entry : byModule.entrySet()) {
      String path = entry.getKey();
      Map<String, StoredTensor> parts = entry.getValue();
      try {
        modules.add(new VbLoraModule(path, readFactor(parts, LOGITS_A, bank.length),
            readFactor(parts, LOGITS_B, bank.length)));
      } catch (IllegalArgumentException | IllegalStateException e) {
        String module = "module " + path + ": ";
        String why = String.valueOf(e.getMessage());
        throw new AdapterFormatException(source, why.startsWith(module) ? why : module + why, e);
      }
    }
    try {
      return VbLoraAdapter.of(config, bank, modules, others);
    } catch (NonFiniteValueException e) {
      throw new AdapterFormatException(source, e.getMessage() + "; " + NonFiniteValueException.ADAPTER_ADVICE, e);
    } catch (IllegalArgumentException e) {
      throw new AdapterFormatException(source, e.getMessage() + " (checked against adapter_config.json)", e);
    }
  }

  /**
   * Why a file has no bank where PEFT puts it: its keys carry another prefix or the adapter's name (a state dict
   * saved by hand, not by save_pretrained), or it is not a VB-LoRA file at all.
   */
  private static String missingBankHint(SafetensorsFile file) {
    for (String key : file.tensors().keySet()) {
      if (key.contains("vblora_vector_bank")) {
        return "it has \"" + key + "\" instead, a state dict not saved as PEFT saves adapters: save it with"
            + " PeftModel.save_pretrained, which writes \"" + BANK_KEY + "\" and " + MODULE_PREFIX
            + "<module>.vblora_logits_* without the adapter's name";
      }
    }
    return "it is not a VB-LoRA adapter file (" + AdapterFileKind.describe(file)
        + "); is adapter_config.json's peft_type right?";
  }

  private static float[][] readBank(StoredTensor tensor, PeftVbLoraConfig config, String source)
      throws AdapterFormatException {
    if (tensor.rank() != 2 || !tensor.dtype().isFloatingPoint()) {
      throw new AdapterFormatException(source, "\"" + BANK_KEY + "\" must be a 2-D float tensor, got " + tensor);
    }
    int h = (int) tensor.dim(0);
    int b = (int) tensor.dim(1);
    if (h != config.numVectors() || b != config.vectorLength()) {
      throw new AdapterFormatException(source, "vector bank is [" + h + ", " + b + "] but adapter_config.json "
          + "says num_vectors " + config.numVectors() + " and vector_length " + config.vectorLength());
    }
    float[] flat = tensor.toFloats();
    float[][] bank = new float[h][];
    for (int i = 0; i < h; i++) {
      bank[i] = Arrays.copyOfRange(flat, i * b, (i + 1) * b);
    }
    return bank;
  }

  private static SubVectorLogits readFactor(Map<String, StoredTensor> parts, String factor, int numVectors) {
    StoredTensor full = parts.get(factor);
    StoredTensor indices = parts.get(factor + INDICES);
    StoredTensor weights = parts.get(factor + WEIGHTS);
    String name = factor.substring(1);
    if (full != null && (indices != null || weights != null)) {
      throw new VbLoraException("has both full logits and top-k tensors for " + name);
    }
    if (full != null) {
      requireShape(full, name, true);
      if (full.dim(2) != numVectors) {
        throw new VbLoraException(name + " has " + full.dim(2) + " logits per sub-vector but the bank "
            + "has " + numVectors + " vectors");
      }
      return new FullLogits((int) full.dim(0), (int) full.dim(1), numVectors, full.toFloats());
    }
    if (indices == null || weights == null) {
      throw new VbLoraException("lacks " + (indices == null && weights == null ? name
          : indices == null ? name + INDICES : name + WEIGHTS));
    }
    requireShape(indices, name + INDICES, false);
    requireShape(weights, name + WEIGHTS, true);
    int k = (int) indices.dim(2);
    if (weights.dim(0) != indices.dim(0) || weights.dim(1) != indices.dim(1) || weights.dim(2) != k - 1) {
      throw new VbLoraException(name + WEIGHTS + " " + weights + " does not fit " + name + INDICES + " "
          + indices + " (expected [.., .., k-1])");
    }
    long[] rawIndices = indices.toLongs();
    int[] intIndices = new int[rawIndices.length];
    for (int i = 0; i < rawIndices.length; i++) {
      if (rawIndices[i] < 0 || rawIndices[i] >= numVectors) {
        throw new VbLoraException(name + INDICES + " selects bank vector " + rawIndices[i]
            + ", outside the bank's " + numVectors + " vectors");
      }
      intIndices[i] = (int) rawIndices[i];
    }
    return new TopKLogits((int) indices.dim(0), (int) indices.dim(1), numVectors, k, intIndices,
        StoredTopKWeights.of(weights, k));
  }

  private static void requireShape(StoredTensor tensor, String name, boolean floating) {
    boolean dtypeOk = floating ? tensor.dtype().isFloatingPoint() : tensor.dtype().isInteger();
    if (tensor.rank() != 3 || !dtypeOk) {
      throw new VbLoraException(name + " must be a 3-D " + (floating ? "float" : "integer")
          + " tensor, got " + tensor);
    }
  }

  private static String suffixOf(String key) {
    String best = null;
    for (String suffix : SUFFIXES) {
      if (key.endsWith(suffix) && (best == null || suffix.length() > best.length())) {
        best = suffix;
      }
    }
    return best != null && key.length() > MODULE_PREFIX.length() + best.length() ? best : null;
  }
}

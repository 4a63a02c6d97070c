package dev.finetune.vblora.savedmodel.adapter;

import dev.finetune.vblora.data.json.Json;
import dev.finetune.vblora.data.json.JsonSyntaxException;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * PEFT's adapter_config.json, read and written with PEFT's key names: {@link PeftVbLoraConfig} for
 * {@code "peft_type": "VBLORA"} and {@link PeftLoraConfig} for the LoRA baseline's {@code "LORA"}. Keys this
 * tool does not interpret are kept verbatim ({@link #otherKeys()}). This tool's own metadata
 * ({@link #toolMetadata()}) is carried along but never written here: it goes to {@value ToolMetadata#FILE_NAME}
 * beside the config ({@link AdapterFolder}); adapters of earlier versions kept it under
 * {@value #TOOL_METADATA_KEY}, which is still read. {@link #toJson()} writes the file exactly as PEFT does
 * ({@code json.dumps(config, indent=2, sort_keys=True)}).
 */
public sealed interface AdapterConfig permits PeftVbLoraConfig, PeftLoraConfig {
  String FILE_NAME = "adapter_config.json";
  /** Where adapters of earlier vblora versions kept {@link ToolMetadata}; read, never written. */
  String TOOL_METADATA_KEY = "vblora_java";
  String PEFT_TYPE_KEY = "peft_type";

  /** PEFT's {@code peft_type}: "VBLORA" or "LORA". */
  String peftType();

  /** The rank of the low-rank update. */
  int r();

  /** PEFT's {@code bias}: "none", "all" or the adapter's own biases only ("vblora_only", "lora_only"). */
  String bias();

  /** The fields both PEFT configs share (target modules, layers, task type, base model, tool metadata). */
  PeftCommonFields common();

  /** PEFT's {@code target_modules}, or null when PEFT's per-architecture default applies. */
  default TargetModules targetModules() {
    return common().targetModules();
  }

  /** This tool's metadata, or null when the adapter has none. */
  default ToolMetadata toolMetadata() {
    return common().toolMetadata();
  }

  /** This config carrying {@code metadata} instead. */
  AdapterConfig withToolMetadata(ToolMetadata metadata);

  /** Keys kept as read (PEFT fields this tool does not interpret, and unknown keys). */
  Map<String, Object> otherKeys();

  /** All keys as PEFT names them. */
  Map<String, Object> toJsonMap();

  /** The file's text, as PEFT writes it. */
  default String toJson() {
    return Json.toPythonJson(toJsonMap());
  }

  /** Parses a config; {@code source} names it in error messages. */
  static AdapterConfig parse(String json, String source) throws AdapterFormatException {
    Object root;
    try {
      root = Json.parse(json);
    } catch (JsonSyntaxException e) {
      throw new AdapterFormatException(source, "not valid JSON (" + e.getMessage() + ")", e);
    }
    if (!(root instanceof Map<?, ?> map)) {
      throw new AdapterFormatException(source, "must hold a JSON object, got " + Json.toCompactJson(root));
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> object = (Map<String, Object>) map;
    Object type = object.get(PEFT_TYPE_KEY);
    if (!(type instanceof String peftType)) {
      throw new AdapterFormatException(source, "has no string \"" + PEFT_TYPE_KEY
          + "\"; is this a PEFT adapter config?");
    }
    return switch (peftType) {
      case PeftVbLoraConfig.PEFT_TYPE -> PeftVbLoraConfig.fromJson(object, source);
      case PeftLoraConfig.PEFT_TYPE -> PeftLoraConfig.fromJson(object, source);
      default -> throw new AdapterFormatException(source, "peft_type \"" + peftType + "\" is not supported; "
          + "this tool reads " + PeftVbLoraConfig.PEFT_TYPE + " and " + PeftLoraConfig.PEFT_TYPE + " adapters");
    };
  }

  /** Reads {@value #FILE_NAME} from an adapter folder (or the file itself). */
  static AdapterConfig read(Path folderOrFile) throws IOException {
    boolean isFolder = Files.isDirectory(folderOrFile);
    Path file = isFolder ? folderOrFile.resolve(FILE_NAME) : folderOrFile;
    if (!Files.isRegularFile(file)) {
      Path folder = isFolder || file.getParent() == null ? folderOrFile : file.getParent();
      throw new NoSuchFileException(file.toString(), null, "missing; is " + folder
          + " a PEFT adapter folder (" + FILE_NAME + " + adapter_model.safetensors)?");
    }
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (MalformedInputException e) {
      throw new AdapterFormatException(file.toString(), "not UTF-8 text", e);
    }
    return parse(text, file.toString());
  }
}

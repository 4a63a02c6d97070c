package dev.finetune.vblora.savedmodel;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.finetune.vblora.data.tokenizer.LowerCaseSetting;
import dev.finetune.vblora.data.tokenizer.TokenizerResolver;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Optional;
import org.tensorflow.proto.BundleEntryProto;
import org.tensorflow.proto.BundleHeaderProto;
import org.tensorflow.proto.DataType;

/**
 * A model's lower-casing kept as a saved boolean variable named {@code do_lower_case}, as TF Hub's TF2 BERT
 * exports and Model Garden's export_tfhub keep it (checkpoint key {@code do_lower_case/.ATTRIBUTES/
 * VARIABLE_VALUE}; a TF1 variable {@code .../do_lower_case}). Only the index and that one byte are read.
 */
final class CheckpointLowerCase implements TokenizerResolver.LowerCaseSource {
  private static final String NAME = "do_lower_case";
  private static final String TF2_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE";

  @Override
  public Optional<LowerCaseSetting> find(Path modelFolder) throws IOException {
    Path prefix = modelFolder.resolve("variables").resolve("variables");
    Path index = prefix.resolveSibling("variables.index");
    if (!Files.isRegularFile(index)) {
      return Optional.empty();
    }
    byte[] bytes = Files.readAllBytes(index);
    int shards = 1;
    for (SortedStringTable.Entry entry : SortedStringTable.read(bytes, index.toString())) {
      if (entry.key().length == 0) {
        shards = Math.max(1, parse(() -> BundleHeaderProto.parseFrom(entry.value()), index).getNumShards());
        continue;
      }
      String key = new String(entry.key(), StandardCharsets.UTF_8);
      if (isLowerCaseVariable(key)) {
        BundleEntryProto tensor = parse(() -> BundleEntryProto.parseFrom(entry.value()), index);
        if (tensor.getDtype() != DataType.DT_BOOL || tensor.getSize() != 1) {
          continue; // a variable of that name but not the flag
        }
        Path data = prefix.resolveSibling(String.format(Locale.ROOT, "variables.data-%05d-of-%05d",
            tensor.getShardId(), shards));
        return Optional.of(new LowerCaseSetting(readByte(data, tensor.getOffset()) != 0,
            "checkpoint variable " + key));
      }
    }
    return Optional.empty();
  }

  private static boolean isLowerCaseVariable(String key) {
    String name = key.endsWith(TF2_SUFFIX) ? key.substring(0, key.length() - TF2_SUFFIX.length()) : key;
    return name.equals(NAME) || name.endsWith("/" + NAME);
  }

  private static byte readByte(Path data, long offset) throws IOException {
    ByteBuffer one = ByteBuffer.allocate(1);
    try (FileChannel in = FileChannel.open(data, StandardOpenOption.READ)) {
      if (in.read(one, offset) != 1) {
        throw new SavedModelException(data + " ends before its do_lower_case variable; "
            + TensorBundleIndex.COPY_AGAIN);
      }
    }
    return one.get(0);
  }

  private interface ProtoParse<T> {
    T parse() throws InvalidProtocolBufferException;
  }

  private static <T> T parse(ProtoParse<T> parse, Path index) {
    try {
      return parse.parse();
    } catch (InvalidProtocolBufferException e) {
      throw new SavedModelException(index + " is not a checkpoint index: an entry is not a bundle proto", e);
    }
  }
}

package dev.finetune.vblora.savedmodel;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * saved_model.pb comes from users. Files that nest messages tens of thousands deep overflowed protobuf-java
 * 3.21.9's stack (CVE-2024-7254; both inputs below threw StackOverflowError there); the reader must refuse
 * them with an error that names the file.
 */
class NestedSavedModelTest {
  private static final int DEPTH = 50_000;
  private static final int UNKNOWN_FIELD = 99;

  @Test
  void unknownGroupsNestedInAMapEntryAreRefusedNamingTheFile(@TempDir Path model) throws IOException {
    // SavedModel.meta_graphs (2) -> MetaGraphDef.signature_def (5, a map) -> an entry holding an unknown
    // field's groups nested DEPTH deep: map entries skip unknown fields, the path 3.21.9 left unbounded.
    ByteArrayOutputStream groups = new ByteArrayOutputStream();
    for (int i = 0; i < DEPTH; i++) {
      varint(groups, UNKNOWN_FIELD << 3 | 3);
    }
    for (int i = 0; i < DEPTH; i++) {
      varint(groups, UNKNOWN_FIELD << 3 | 4);
    }
    Path pb = model.resolve("saved_model.pb");
    Files.write(pb, lengthDelimited(2, lengthDelimited(5, groups.toByteArray())));

    assertRefusedAsTooDeep(model, pb);
  }

  @Test
  void textFormatNestedTooDeepIsRefusedNamingTheFile(@TempDir Path model) throws IOException {
    // AttrValue.func -> NameAttrList.attr -> AttrValue ... : a recursive path through TensorFlow's own messages.
    StringBuilder text = new StringBuilder("meta_graphs { graph_def { node { name: \"n\" attr { key: \"a\" value { ");
    text.append("func { name: \"f\" attr { key: \"a\" value { ".repeat(DEPTH / 10));
    text.append("} } } ".repeat(DEPTH / 10));
    text.append("} } } } }");
    Path pbtxt = model.resolve("saved_model.pbtxt");
    Files.writeString(pbtxt, text, StandardCharsets.UTF_8);

    assertRefusedAsTooDeep(model, pbtxt);
  }

  private static void assertRefusedAsTooDeep(Path model, Path file) {
    SavedModelException e = assertThrows(SavedModelException.class, () -> SavedModelReader.read(model));
    assertTrue(e.getMessage().startsWith(file + " is not a SavedModel protocol buffer"), e.getMessage());
    assertTrue(e.getMessage().contains("nest deeper than 100 levels"), e.getMessage());
    assertTrue(e.getMessage().contains("export the model again"), e.getMessage());
  }

  private static byte[] lengthDelimited(int field, byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    varint(out, field << 3 | 2);
    varint(out, body.length);
    out.writeBytes(body);
    return out.toByteArray();
  }

  private static void varint(ByteArrayOutputStream out, int value) {
    int v = value;
    while ((v & ~0x7f) != 0) {
      out.write((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.write(v);
  }
}

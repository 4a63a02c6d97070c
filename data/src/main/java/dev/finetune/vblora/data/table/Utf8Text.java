package dev.finetune.vblora.data.table;

import dev.finetune.vblora.data.DataFileException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A data file's bytes as UTF-8 text, without its byte order mark. Bytes in another encoding are refused where the
 * first one is, by line and character, since that is where the user looks: Excel's plain "CSV" is Windows-1252,
 * and its "Unicode Text" is UTF-16.
 */
final class Utf8Text {
  private Utf8Text() {}

  static String decode(Path file, byte[] bytes) {
    if (bytes.length >= 2 && ((bytes[0] == (byte) 0xFF && bytes[1] == (byte) 0xFE)
        || (bytes[0] == (byte) 0xFE && bytes[1] == (byte) 0xFF))) {
      throw new DataFileException(file, "the file is UTF-16 text (as Excel's 'Unicode Text' saves it); save it as"
          + " UTF-8 (Excel: 'CSV UTF-8'; pandas: encoding='utf-8')");
    }
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never gives more chars than bytes
    CoderResult result = decoder.decode(in, out, true);
    if (!result.isError()) {
      result = decoder.flush(out);
    }
    if (result.isError()) {
      throw notUtf8(file, bytes, in.position());
    }
    String text = out.flip().toString();
    return text.startsWith("\uFEFF") ? text.substring(1) : text;
  }

  private static DataFileException notUtf8(Path file, byte[] bytes, int at) {
    int line = 1;
    int lineStart = 0;
    for (int i = 0; i < at; i++) {
      if (bytes[i] == '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    // The bytes before the bad one decoded, so they are UTF-8: their characters give its place in the line.
    int character = new String(bytes, lineStart, at - lineStart, StandardCharsets.UTF_8).length() + 1;
    return new DataFileException(file, line, null, String.format("byte 0x%02X (character %d of the line) is not"
        + " UTF-8: the file is in another encoding, such as Windows-1252 or Latin-1 (Excel's plain 'CSV'); save it"
        + " as UTF-8 (Excel: 'CSV UTF-8'; pandas: encoding='utf-8')", bytes[at] & 0xFF, character));
  }
}

package dev.finetune.vblora.training.cli;

import dev.finetune.vblora.data.json.Json;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * With {@code --json}, a failed command's one JSON document on stdout: {@code {"error": {"message": ...,
 * "exit_code": N}}}. A script that parses stdout then gets a document whatever the exit status, instead of
 * nothing; the human message still goes to stderr.
 */
final class ErrorDocument {
  private static final String JSON = "--json";

  private ErrorDocument() {}

  /**
   * Whether the command line asks for JSON, read from the words themselves: a malformed command line has no
   * parse result to ask. The last of {@code --json}, {@code --json=VALUE}, {@code --json VALUE} and
   * {@code --no-json} wins, as in parsing.
   */
  static boolean requested(List<String> argv) {
    boolean json = false;
    for (int i = 0; i < argv.size(); i++) {
      String word = argv.get(i);
      if (word.equals(JSON)) {
        boolean valued = i + 1 < argv.size() && ValueType.isBooleanWord(argv.get(i + 1));
        json = !valued || ValueType.bool(argv.get(i + 1));
      } else if (word.startsWith(JSON + "=")) {
        String value = word.substring(JSON.length() + 1);
        json = ValueType.isBooleanWord(value) && ValueType.bool(value);
      } else if (word.equals("--no-json")) {
        json = false;
      }
    }
    return json;
  }

  /** Prints the document for a failure with {@code message} and exit status {@code exitCode}. */
  static void print(PrintStream out, String message, int exitCode) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("message", message);
    error.put("exit_code", exitCode);
    out.println(Json.toIndentedJson(Map.of("error", error)));
  }
}

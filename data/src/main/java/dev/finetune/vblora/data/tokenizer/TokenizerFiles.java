package dev.finetune.vblora.data.tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The files of a model folder that can describe its tokenizer: those directly in the folder and in its
 * assets/ (a SavedModel keeps vocabularies there; Hugging Face exports keep tokenizer files beside the model).
 * Assets come first: they are what the SavedModel itself declares.
 */
final class TokenizerFiles {
  static final String ASSETS = "assets";

  private final Path folder;
  private final List<Path> files;

  private TokenizerFiles(Path folder, List<Path> files) {
    this.folder = folder;
    this.files = List.copyOf(files);
  }

  static TokenizerFiles in(Path folder) throws IOException {
    List<Path> files = new ArrayList<>();
    for (Path dir : List.of(folder.resolve(ASSETS), folder)) {
      if (Files.isDirectory(dir)) {
        try (Stream<Path> list = Files.list(dir)) {
          list.filter(Files::isRegularFile).sorted().forEach(files::add);
        }
      }
    }
    return new TokenizerFiles(folder, files);
  }

  Path folder() {
    return folder;
  }

  /** The first file (assets first) with exactly this name. */
  Optional<Path> named(String name) {
    return matching(name::equals).stream().findFirst();
  }

  /** The files whose name matches, assets first. */
  List<Path> matching(Predicate<String> name) {
    return files.stream().filter(f -> name.test(f.getFileName().toString())).toList();
  }

  /**
   * Files whose name matches in the model's other subfolders (not assets/ or variables/), one level down: where a
   * model keeps files of its own (ALBERT's assets-extra/vocab.txt). Never read as the tokenizer's without being
   * given; named in messages, so that the user knows which file to give.
   */
  List<Path> elsewhere(Predicate<String> name) {
    List<Path> found = new ArrayList<>();
    for (Path dir : listed(folder).stream().filter(Files::isDirectory).toList()) {
      String dirName = dir.getFileName().toString();
      if (!dirName.equals(ASSETS) && !dirName.equals("variables")) {
        listed(dir).stream().filter(Files::isRegularFile).filter(f -> name.test(f.getFileName().toString()))
            .forEach(found::add);
      }
    }
    return found;
  }

  /** A folder's entries, sorted; none where it cannot be read (lost+found): a hint is not worth an error. */
  private static List<Path> listed(Path dir) {
    try (Stream<Path> list = Files.list(dir)) {
      return list.sorted().toList();
    } catch (IOException | UncheckedIOException e) {
      return List.of();
    }
  }

  /** {@code file} relative to the model folder, for messages. */
  String describe(Path file) {
    return file.startsWith(folder) ? folder.relativize(file).toString() : file.toString();
  }
}

package dev.finetune.vblora.data.tokenizer;

import java.io.IOException;
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
  List<Path> elsewhere(Predicate<String> name) throws IOException {
    List<Path> found = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(folder)) {
      for (Path dir : (Iterable<Path>) dirs.filter(Files::isDirectory).sorted()::iterator) {
        String dirName = dir.getFileName().toString();
        if (dirName.equals(ASSETS) || dirName.equals("variables")) {
          continue;
        }
        try (Stream<Path> list = Files.list(dir)) {
          list.filter(Files::isRegularFile).filter(f -> name.test(f.getFileName().toString())).sorted()
              .forEach(found::add);
        }
      }
    }
    return found;
  }

  /** {@code file} relative to the model folder, for messages. */
  String describe(Path file) {
    return file.startsWith(folder) ? folder.relativize(file).toString() : file.toString();
  }
}

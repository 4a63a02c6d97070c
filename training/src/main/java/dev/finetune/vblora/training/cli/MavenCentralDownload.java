package dev.finetune.vblora.training.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Downloads one file of a Maven repository over HTTP(S) into the local repository's layout, checked against
 * the SHA-1 the repository publishes beside it ({@code FILE.sha1}), so that a user with only a JRE gets the
 * artifact Maven would have put there. The file appears all at once (downloaded into a temporary sibling, then
 * renamed) and only when its checksum matches.
 */
final class MavenCentralDownload {
  /** Maven Central, where Maven itself fetches from by default. */
  static final URI CENTRAL = URI.create("https://repo.maven.apache.org/maven2/");

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
  private static final int PROGRESS_STEPS = 10;

  private final URI repository;
  private final HttpClient client;

  /** @param repository the remote repository's root, ending in '/' */
  MavenCentralDownload(URI repository) {
    this.repository = repository;
    this.client = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
        .followRedirects(HttpClient.Redirect.NORMAL).build();
  }

  URI repository() {
    return repository;
  }

  /**
   * Downloads {@code relativePath} (e.g. {@code com/x/a/1.0/a-1.0.jar}) into {@code target}.
   *
   * @param progress where a line per tenth of the file goes
   * @throws IOException when the repository cannot be reached, answers other than 200, or the checksum differs
   */
  void download(String relativePath, Path target, PrintStream progress) throws IOException {
    URI file = repository.resolve(relativePath);
    String expected = expectedSha1(URI.create(file + ".sha1"));
    Files.createDirectories(target.getParent());
    Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".part");
    try {
      String actual = copyHashing(file, temp, progress);
      if (!actual.equals(expected)) {
        throw new IOException(file + " has SHA-1 " + actual + " but the repository says " + expected
            + "; the download is corrupt or was altered (nothing was kept)");
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private String expectedSha1(URI checksum) throws IOException {
    HttpResponse<String> response = send(checksum, HttpResponse.BodyHandlers.ofString(StandardCharsets.US_ASCII));
    String text = response.body().strip();
    // Some repositories write "HASH  FILENAME", as sha1sum does.
    String hash = text.split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
    if (!hash.matches("[0-9a-f]{40}")) {
      throw new IOException(checksum + " holds no SHA-1 (\"" + shorten(text) + "\")");
    }
    return hash;
  }

  private String copyHashing(URI file, Path temp, PrintStream progress) throws IOException {
    HttpResponse<InputStream> response = send(file, HttpResponse.BodyHandlers.ofInputStream());
    long size = response.headers().firstValueAsLong("content-length").orElse(-1);
    MessageDigest sha1 = sha1();
    byte[] buffer = new byte[1 << 16];
    long copied = 0;
    int reported = 0;
    try (InputStream in = response.body(); OutputStream out = Files.newOutputStream(temp)) {
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        out.write(buffer, 0, n);
        sha1.update(buffer, 0, n);
        copied += n;
        int step = size > 0 ? (int) (copied * PROGRESS_STEPS / size) : 0;
        if (step > reported) {
          reported = step;
          progress.printf(Locale.ROOT, "  %3d%%  %,d of %,d MB%n", step * 100 / PROGRESS_STEPS, copied >> 20,
              size >> 20);
        }
      }
    }
    if (size >= 0 && copied != size) {
      throw new IOException(file + " ended after " + copied + " of " + size + " bytes (connection lost?)");
    }
    return HexFormat.of().formatHex(sha1.digest());
  }

  private <T> HttpResponse<T> send(URI uri, HttpResponse.BodyHandler<T> body) throws IOException {
    HttpRequest request = HttpRequest.newBuilder(uri).GET().build();
    HttpResponse<T> response;
    try {
      response = client.send(request, body);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while downloading " + uri, e);
    }
    if (response.statusCode() != 200) {
      if (response.body() instanceof InputStream stream) {
        stream.close();
      }
      throw new IOException(uri + " answered HTTP " + response.statusCode());
    }
    return response;
  }

  private static MessageDigest sha1() {
    try {
      return MessageDigest.getInstance("SHA-1");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JRE has SHA-1", e);
    }
  }

  private static String shorten(String text) {
    return text.length() <= 60 ? text : text.substring(0, 60) + "...";
  }
}

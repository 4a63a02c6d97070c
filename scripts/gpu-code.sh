#!/usr/bin/env bash
# Builds the module jars of a checkout and collects them, with their small runtime dependencies, into a folder of
# this repository that a lab call carries (see scripts/gpu-lab.sh: CODE=.gpu-code by default; another name, such as
# .gpu-code-old, to compare two builds in one lease).
#   SRC=/path/to/checkout DEST=.gpu-code scripts/gpu-code.sh      (defaults: this checkout, .gpu-code)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC=${SRC:-$ROOT}; DEST=${DEST:-.gpu-code}
# The folder is replaced whole: only a .gpu-code* folder at the repository's top, never a path elsewhere.
[[ "$DEST" =~ ^\.gpu-code[A-Za-z0-9_-]*$ ]] || { echo "DEST must be .gpu-code or .gpu-code-NAME, got '$DEST'" >&2; exit 2; }
(cd "$SRC" && mvn -B -o -q package -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true \
  -Dassembly.skipAssembly=true)
rm -rf "$ROOT/$DEST" && mkdir -p "$ROOT/$DEST"
for m in data model ops savedmodel training; do cp "$SRC/$m/target/vblora-$m-0.1.0-SNAPSHOT.jar" "$ROOT/$DEST/"; done
M=~/.m2/repository
cp $M/com/google/protobuf/protobuf-java/3.25.8/protobuf-java-3.25.8.jar \
  $M/com/fasterxml/jackson/core/jackson-core/2.22.3/jackson-core-2.22.3.jar \
  $M/info/picocli/picocli/4.7.7/picocli-4.7.7.jar "$ROOT/$DEST/"
ls "$ROOT/$DEST"

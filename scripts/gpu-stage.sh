#!/usr/bin/env bash
# Stages what scripts/gpu-lab.sh needs on the lent GPU machine: the runtime dependency jars (without TensorFlow's CPU
# natives) in .gpu-jars/, BERT-base uncased, SST-2 and CoLA, packed by ../shared/gpu/pack.sh into .gpu-stage/ (it
# prints the device calls, one a chunk (17 with BERT), then the unpack call). Our own jars travel apart, in .gpu-code*
# (scripts/gpu-code.sh). Run from anywhere after `./vblora fetch bert-base-uncased` has put BERT in the cache;
# about two minutes the first time on a machine (the natives are compressed once). scripts/gpu-lab.sh finds them
# under the paths they have here (BERT in /root/.cache, the data in /work/shared), as on this project's machines.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SHARED=${VBLORA_SHARED:-$ROOT/../shared}
MODEL=${MODEL:-$HOME/.cache/vblora/models/bert-base-uncased}
[[ -d "$MODEL" ]] || { echo "no $MODEL: run ./vblora fetch bert-base-uncased first" >&2; exit 2; }
JARS=$(mktemp -d)
trap 'rm -rf "$JARS"' EXIT
mvn -B -q -o -pl training -am package dependency:copy-dependencies -DskipTests -Dmaven.javadoc.skip=true \
  -Dmaven.source.skip=true -Dassembly.skipAssembly=true -DincludeScope=runtime -DexcludeGroupIds=dev.finetune \
  -DoutputDirectory="$JARS"
rm -rf .gpu-jars && mkdir .gpu-jars
cp "$JARS"/*.jar .gpu-jars/ && rm -f .gpu-jars/tensorflow-core-native-*-linux-x86_64*.jar
"$SHARED/gpu/pack.sh" .gpu-jars "$MODEL" "$(cd "$SHARED" && pwd)/data/sst2/train.tsv" \
  "$(cd "$SHARED" && pwd)/data/cola/train.tsv"

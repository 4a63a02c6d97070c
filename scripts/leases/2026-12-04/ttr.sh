#!/usr/bin/env bash
# Issue 12's whole runs with the new build, P the precision options (accuracy and wall time).
cd "$(dirname "$0")/../../.."
P=${P---precision bf16 --fused-attention}
rm -rf /tmp/ttr-ours   # this script's own folder on the lab machine: a second run starts clean
CODE=.gpu-code TTR_PRECISION="$P" scripts/gpu-lab.sh ttr-ours 2>&1 | grep -v '^tar: Removing'
python3 -c "
import json,glob
for f in sorted(glob.glob('/tmp/ttr-ours/*/metrics.json')): print(f, json.dumps(json.load(open(f)).get('best'))[:300])
"

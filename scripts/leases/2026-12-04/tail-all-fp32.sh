#!/usr/bin/env bash
# Lease Z, second machine: why the one-position tail took little off the all-linear fp32 step (lease Y). The build
# before the tail (.gpu-code-old, 0d5d336) against main (.gpu-code, aa78aaf): untraced steps in two alternating
# rounds, then one traced step of each.
cd "$(dirname "$0")/../../.."
run() { CODE=$1 SYNC=25 STEPS=20 LEVERS="$2" scripts/gpu-lab.sh step-levers 2>&1 | grep -v '^tar: Removing'; }
for r in "" -r2; do
  run .gpu-code-old all-fp32$r-old
  run .gpu-code all-fp32$r-new
done
run .gpu-code-old all-fp32-old-profile
run .gpu-code all-fp32-new-profile

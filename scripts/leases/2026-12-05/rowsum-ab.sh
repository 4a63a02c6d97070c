#!/usr/bin/env bash
# Run in lease AC (2026-12-05): merged-factored's float32 factor gradients as row sums (FactoredGradients.rowSum,
# .gpu-code) against the same products as TF32 GEMMs (e2f7adb, .gpu-code-old). One process per cell, alternating
# old and new within each set; ROUNDS repeats (default 2); PROFILE=1 adds a traced step of each set with each build.
cd "$(dirname "$0")/../../.."
run() { CODE=$1 SYNC=${SYNC:-25} STEPS=${STEPS:-20} LEVERS="$2" scripts/gpu-lab.sh step-levers 2>&1 | grep -v '^tar: Removing'; }
for round in $(seq 1 ${ROUNDS:-2}); do
  for set in ${SETS:-qv-fp32-factored all-fp32-factored}; do
    run .gpu-code-old "$set-old-r$round"
    run .gpu-code "$set-new-r$round"
  done
done
if [[ -n "${PROFILE:-}" ]]; then
  for set in ${SETS:-qv-fp32-factored all-fp32-factored}; do
    run .gpu-code-old "$set-old-profile"
    run .gpu-code "$set-new-profile"
  done
fi

#!/usr/bin/env bash
# Run in lease AE (issue 16): the one-pass moments (.gpu-code-moments, main with one-pass-moments.patch) against
# main as committed (.gpu-code); moments-build-jars.sh makes both. One process per cell, alternating main and the branch within each set; ROUNDS repeats (default 2),
# FIRST names the first round; PROFILE=1 adds a traced q,v fp32 step with each build.
#   SETS: the steps (default the two fp32 ones; the bf16 ones with fused attention also have float32 LayerNorm moments:
#   SETS="qv-bf16-fmha all-bf16-fmha"). HLO=1 adds the optimized HLO of a q,v fp32 step with each build (the variance's
#   reduction should join the mean's fusion).
cd "$(dirname "$0")/../../.."
run() { CODE=$1 SYNC=${SYNC:-25} STEPS=${STEPS:-20} LEVERS="$2" scripts/gpu-lab.sh step-levers 2>&1 | grep -v '^tar: Removing'; }
for round in $(seq ${FIRST:-1} $(( ${FIRST:-1} + ${ROUNDS:-2} - 1 ))); do
  for set in ${SETS:-qv-fp32 all-fp32}; do
    run .gpu-code "$set-main-r$round"
    run .gpu-code-moments "$set-moments-r$round"
  done
done
if [[ -n "${PROFILE:-}" ]]; then
  run .gpu-code "qv-fp32-main-profile"
  run .gpu-code-moments "qv-fp32-moments-profile"
fi
if [[ -n "${HLO:-}" ]]; then
  run .gpu-code "qv-fp32-main-hlo"
  run .gpu-code-moments "qv-fp32-moments-hlo"
fi
true

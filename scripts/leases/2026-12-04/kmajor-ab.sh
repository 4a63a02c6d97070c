#!/usr/bin/env bash
# Lease Z: weight gradients from transposed activations (.gpu-code, WeightGradientForm.K_MAJOR, on for fp32 under
# XLA) against the build before (.gpu-code-old, e9b9537); one process each, alternating.
#   ROUND: a suffix naming a repeat (e.g. -r2); PROFILE=1 adds a traced step of each set with the new build;
#   SETS: the levers (default the two fp32 steps the lever is for).
cd "$(dirname "$0")/../../.."
for set in ${SETS:-qv-fp32 all-fp32}; do
  for code in old new; do
    d=.gpu-code-$code; [[ $code == new ]] && d=.gpu-code
    CODE=$d SYNC=25 STEPS=20 LEVERS="$set${ROUND:-}-$code" scripts/gpu-lab.sh step-levers 2>&1 | grep -v '^tar: Removing'
  done
done
if [[ -n "${PROFILE:-}" ]]; then
  CODE=.gpu-code SYNC=25 STEPS=20 LEVERS="$(for s in ${SETS:-qv-fp32 all-fp32}; do printf '%s-new-profile ' $s; done)" \
    scripts/gpu-lab.sh step-levers 2>&1 | grep -v '^tar: Removing'
fi

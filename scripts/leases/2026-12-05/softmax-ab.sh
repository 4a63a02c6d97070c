#!/usr/bin/env bash
# Run in lease AD (2026-12-05): the float32 softmax written from the log-sum-exp (LogSumExpSoftmax, .gpu-code)
# against e2f7adb's TensorFlow Softmax (.gpu-code-old). One process per cell, alternating old and new within each set;
# ROUNDS repeats (default 1), FIRST names the first round (default 1); LORA=1 adds LoRA r=8's fp32 steps with the new
# build; PROFILE=1 adds a traced q,v step with each build.
cd "$(dirname "$0")/../../.."
run() { CODE=$1 SYNC=${SYNC:-25} STEPS=${STEPS:-20} LEVERS="$2" scripts/gpu-lab.sh step-levers 2>&1 | grep -v '^tar: Removing'; }
for round in $(seq ${FIRST:-1} $(( ${FIRST:-1} + ${ROUNDS:-1} - 1 ))); do
  for set in ${SETS:-qv-fp32-factored all-fp32-factored}; do
    run .gpu-code-old "$set-old-r$round"
    run .gpu-code "$set-new-r$round"
  done
done
[[ -n "${LORA:-}" ]] && run .gpu-code "qv-lora-fp32-factored-new all-lora-fp32-factored-new"
if [[ -n "${PROFILE:-}" ]]; then
  run .gpu-code-old "qv-fp32-factored-old-profile"
  run .gpu-code "qv-fp32-factored-new-profile"
fi
true

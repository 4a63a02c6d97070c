#!/usr/bin/env bash
# For the next lease (issue 16): the one-pass moments with the model's own float32 gradient
# (ONE_PASS_EXPORTED_GRADIENT, .gpu-code-gradient) against the one-pass moments as kept after lease AE (ONE_PASS,
# TensorFlow's derivative of the float64 ops, .gpu-code); build-jars.sh makes both. One process per cell,
# alternating within each set; ROUNDS repeats (default 2), FIRST names the first round; PROFILE=1 adds a traced q,v
# fp32 step with each build, HLO=1 the optimized HLO of one.
#   SETS: the steps (default the two fp32 ones, whose targets are open on the H200; the bf16 and LoRA rows:
#   SETS="qv-bf16-fmha all-bf16-fmha qv-lora-fp32 all-lora-fp32").
cd "$(dirname "$0")/../../.."
run() { CODE=$1 SYNC=${SYNC:-25} STEPS=${STEPS:-20} LEVERS="$2" scripts/gpu-lab.sh step-levers 2>&1 | grep -v '^tar: Removing'; }
for round in $(seq ${FIRST:-1} $(( ${FIRST:-1} + ${ROUNDS:-2} - 1 ))); do
  for set in ${SETS:-qv-fp32 all-fp32}; do
    run .gpu-code "$set-onepass-r$round"
    run .gpu-code-gradient "$set-gradient-r$round"
  done
done
if [[ -n "${PROFILE:-}" ]]; then
  run .gpu-code "qv-fp32-onepass-profile"
  run .gpu-code-gradient "qv-fp32-gradient-profile"
fi
if [[ -n "${HLO:-}" ]]; then
  run .gpu-code "qv-fp32-onepass-hlo"
  run .gpu-code-gradient "qv-fp32-gradient-hlo"
fi
true

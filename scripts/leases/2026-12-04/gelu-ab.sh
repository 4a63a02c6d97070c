#!/usr/bin/env bash
# GELU recompute A/B: main before (.gpu-code-old) and with it (.gpu-code), one process each, alternating.
cd "$(dirname "$0")/../../.."
run() { CODE=$1 SYNC=25 STEPS=20 LEVERS="$2" scripts/gpu-lab.sh step-levers; }
for set in ${SETS:-"qv-bf16-fmha qv-fp32" "all-bf16-fmha"}; do
  for code in old new; do
    d=.gpu-code; [[ $code == old ]] && d=.gpu-code-old
    run $d "$(for l in $set; do printf '%s-%s ' $l $code; done)"
  done
done

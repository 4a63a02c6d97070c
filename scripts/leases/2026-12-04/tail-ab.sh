#!/usr/bin/env bash
# Lease Y: LayerNorm vectors in their own variables (.gpu-code-ln, b7e1ecd) and the one-position tail on top
# (.gpu-code), against the build before both (.gpu-code-old, 0d5d336); one process each, alternating.
#   SETS: lever sets, each run with every build in CODES (default: old ln new)
cd "$(dirname "$0")/../../.."
for set in ${SETS:-"qv-bf16-fmha" "qv-fp32"}; do
  for code in ${CODES:-old ln new}; do
    d=.gpu-code-$code; [[ $code == new ]] && d=.gpu-code
    CODE=$d SYNC=25 STEPS=20 LEVERS="$(for l in $set; do printf '%s-%s ' $l $code; done)" \
      scripts/gpu-lab.sh step-levers 2>&1 | grep -v '^tar: Removing'
  done
done

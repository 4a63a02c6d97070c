#!/usr/bin/env bash
# Lease Z, third machine: the traced all-linear fp32 step lost 1.4 ms of kernel time to the one-position tail, the
# untraced one 0.2 ms. Is it XLA's command buffers (CUDA graphs)? The build before the tail (.gpu-code-old, 0d5d336)
# and main (.gpu-code, aa78aaf), each with command buffers off and on, alternating.
cd "$(dirname "$0")/../../.."
run() { CODE=$1 SYNC=25 STEPS=20 LEVERS="$2" scripts/gpu-lab.sh step-levers 2>&1 | grep -v '^tar: Removing'; }
run .gpu-code-old all-fp32-nocmdbuf-old
run .gpu-code all-fp32-nocmdbuf-new
run .gpu-code-old all-fp32-r3-old
run .gpu-code all-fp32-r3-new

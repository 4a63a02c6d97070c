#!/usr/bin/env bash
# Run in lease AE (issue 16): the one-pass moments (.gpu-code-moments, main with one-pass-moments.patch) against main
# as committed (.gpu-code), both built at 90a78be (README.md says how). SETS (default the two fp32 steps; the bf16
# ones with fused attention also have float32 LayerNorm moments), ROUNDS, FIRST, PROFILE and HLO as
# scripts/gpu-ab.sh reads them.
cd "$(dirname "$0")/../../.." && A=.gpu-code A_NAME=main B=.gpu-code-moments B_NAME=moments exec scripts/gpu-ab.sh

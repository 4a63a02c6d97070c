#!/usr/bin/env bash
# Lease AF (issue 16): the one-pass moments with the model's own float32 gradient (ONE_PASS_EXPORTED_GRADIENT,
# .gpu-code-gradient) against the one-pass moments as kept after lease AE (ONE_PASS, TensorFlow's derivative of the
# float64 ops, .gpu-code); `scripts/gpu-code-patched.sh scripts/leases/2026-12-05/exported-gradient.patch
# .gpu-code-gradient` at 73114f1 makes both. SETS, ROUNDS, FIRST, PROFILE and HLO as scripts/gpu-ab.sh reads them.
cd "$(dirname "$0")/../../.." && A=.gpu-code A_NAME=onepass B=.gpu-code-gradient B_NAME=gradient exec scripts/gpu-ab.sh

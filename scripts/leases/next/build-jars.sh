#!/usr/bin/env bash
# Before the next lease (issue 16): .gpu-code from HEAD (MomentsForm.ONE_PASS under XLA, lease AE's) and
# .gpu-code-gradient from HEAD with exported-gradient.patch (ONE_PASS_EXPORTED_GRADIENT under XLA).
cd "$(dirname "$0")/../../.." \
  && exec scripts/gpu-code-patched.sh scripts/leases/next/exported-gradient.patch .gpu-code-gradient

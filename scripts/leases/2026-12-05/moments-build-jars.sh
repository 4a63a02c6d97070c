#!/usr/bin/env bash
# Before lease AE (2026-12-05, run at 90a78be; the form is on main from the commit after the lease, so check out
# 90a78be to rebuild both): .gpu-code as committed (moments as exported) and .gpu-code-moments with
# one-pass-moments.patch applied (the one-pass form under XLA).
cd "$(dirname "$0")/../../.." && exec scripts/gpu-code-patched.sh scripts/leases/2026-12-05/one-pass-moments.patch .gpu-code-moments

#!/usr/bin/env bash
# Before a lab A/B: .gpu-code from this checkout's HEAD and DEST from HEAD with PATCH applied (in a throwaway
# worktree), both by scripts/gpu-code.sh. Run from anywhere; about a minute.
#   scripts/gpu-code-patched.sh PATCH DEST      e.g. scripts/leases/next/exported-gradient.patch .gpu-code-gradient
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PATCH="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; DEST=$2
cd "$ROOT"
scripts/gpu-code.sh
TREE=$(mktemp -d)/patched
git worktree add -q --detach "$TREE" HEAD
trap 'git -C "$ROOT" worktree remove --force "$TREE"' EXIT
git -C "$TREE" apply "$PATCH"
SRC="$TREE" DEST="$DEST" scripts/gpu-code.sh

#!/usr/bin/env bash
# Before a lab A/B: .gpu-code from this checkout's HEAD and DEST from HEAD with PATCH applied (in a throwaway
# worktree), both by scripts/gpu-code.sh. Refuses a checkout with uncommitted changes, which .gpu-code would build
# and DEST would not. DEST is a folder at the repository's top (.gpu-code-NAME); about a minute.
#   scripts/gpu-code-patched.sh PATCH DEST      e.g. scripts/leases/2026-12-05/exported-gradient.patch .gpu-code-gradient
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: scripts/gpu-code-patched.sh PATCH DEST (DEST: .gpu-code-NAME)" >&2; exit 2; }
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PATCH="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; DEST=$2
cd "$ROOT"
git diff --quiet HEAD -- \
  || { echo "uncommitted changes: commit or stash them, so that both builds start from HEAD" >&2; exit 2; }
scripts/gpu-code.sh
WORK=$(mktemp -d)
trap 'git -C "$ROOT" worktree remove --force "$WORK/patched"; rm -rf "$WORK"' EXIT
git worktree add -q --detach "$WORK/patched" HEAD
git -C "$WORK/patched" apply "$PATCH"
SRC="$WORK/patched" DEST="$DEST" scripts/gpu-code.sh

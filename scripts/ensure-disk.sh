#!/usr/bin/env bash
# Makes sure the build and tests have room on disk, before they start rather
# than at a link step halfway through: every test binary that links DuckDB
# and Beam is about 0.5 GB in the temporary directory, and Go's build cache
# grows by gigabytes on a cold build (about 7 GB for CI's) and trims only
# entries unused for five days. Usage: ensure-disk.sh [GB needed, default 10].
#
# Prints the free space of the build cache's and the temporary directory's
# file systems. When either has less than needed, it empties Go's build
# cache (go clean -cache: it costs a rebuild, nothing else) and checks
# again; it fails, saying what is free and what is needed, only if that was
# not enough.
set -euo pipefail

need_gb=${1:-10}
cache=$(go env GOCACHE)
tmp=${TMPDIR:-/tmp}

# check prints the free space for the cache and the temporary directory and
# fails when either has less than needed.
check() {
  local dir free status=0
  for dir in "$cache" "$tmp"; do
    mkdir -p "$dir"
    free=$(df -P -BG "$dir" | awk 'NR == 2 { sub("G", "", $4); print $4 }')
    echo "disk: $free GB free for $dir (need $need_gb GB)"
    if [ "$free" -lt "$need_gb" ]; then status=1; fi
  done
  return $status
}

check && exit 0
echo "disk: short of space; emptying Go's build cache ($(du -sh "$cache" | cut -f1))"
go clean -cache
if ! check; then
  echo "disk: the build and tests need about $need_gb GB free: free some space" >&2
  exit 1
fi

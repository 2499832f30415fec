#!/usr/bin/env bash
# Rate-limit check latency (issue 16): no limit vs the in-process limiter vs the Redis limiter at
# one connection, with a bare Redis round trip as the floor, on a throwaway Redis. Figures only.
#   bench/rate_limit.sh [checks per row]
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$LLMGW_ROOT"
BUILD_DIR=${LLMGW_BUILD_DIR:-$LLMGW_ROOT/build}
build "$BUILD_DIR" llmgw-bench-rate-limit >/dev/null
tmp=$(mktemp -d /tmp/llmgw-bench.XXXXXX)
cleanup() {
  redis_stop
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
redis_start "$tmp/redis" "$(free_port)"
"$BUILD_DIR/bin/llmgw-bench-rate-limit" "$REDIS_URL" "${1:-20000}"

#!/usr/bin/env bash
# Billing benchmark: Hold+Settle pairs per second on one hot organization and spread over 100,
# against a real llmgw-billing on a throwaway PostgreSQL. Prints figures; never pass/fail.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$LLMGW_ROOT"
SECS=${BENCH_SECONDS:-5}
BUILD_DIR=${LLMGW_BUILD_DIR:-$LLMGW_ROOT/build}
build "$BUILD_DIR" llmgw-billing llmgw-billing-load >/dev/null
BIN=$BUILD_DIR/bin

tmp=$(mktemp -d /tmp/llmgw-bench.XXXXXX)
chmod 755 "$tmp"
pid=""
cleanup() {
  [[ -n $pid ]] && kill -TERM "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  pg_stop
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
# Durable settings (fsync on): money paths are measured as they run in production.
PG_EXTRA_OPTS="" pg_start "$tmp/pg" "$(free_port)"
psql -q "$PG_URL" -c "CREATE DATABASE llmgw" >/dev/null
export LLMGW_DATABASE_URL=${PG_URL%/postgres}/llmgw
export LLMGW_INTERNAL_TOKEN=bench-internal-token-0123456789 LLMGW_LOG_LEVEL=warn
export LLMGW_BILLING_ADDR=127.0.0.1:$(free_port)
LLMGW_METRICS_ADDR=127.0.0.1:$(free_port) "$BIN/llmgw-billing" >"$tmp/billing.log" 2>&1 &
pid=$!
sleep 1
for orgs in 1 100; do
  for workers in 1 16; do
    echo "orgs=$orgs workers=$workers: $("$BIN/llmgw-billing-load" --addr "$LLMGW_BILLING_ADDR" --orgs $orgs --workers $workers --seconds "$SECS")"
  done
done

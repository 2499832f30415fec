#!/usr/bin/env bash
# Billing benchmark: Hold+Settle pairs per second on one hot organization and spread over 100,
# against real llmgw-billing on a throwaway PostgreSQL with fsync on. Two billing processes share
# the database: one with group commit (LLMGW_BILLING_GROUP_COMMIT=1, the default) and one with
# the one transaction and one commit per call of before (=0). Every row runs three ways, one
# after the other, all through the gateway's own billing client:
#   one-by-one    no group commit, one RPC per call (the baseline)
#   group commit  group commit, one RPC per call
#   + coalesced   group commit, concurrent calls coalesced into Batch RPCs (the gateway's default)
# "workers" is the number of requests in flight at once, each a Hold then its Settle. After each
# run the money invariants are checked over the whole database and printed.
# Prints figures; never pass/fail.
#   BENCH_SECONDS=5 BENCH_WORKERS="1 16 64 256 1024" BENCH_ORGS="1 100" bench/billing.sh
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$LLMGW_ROOT"
SECS=${BENCH_SECONDS:-5}
WORKERS=${BENCH_WORKERS:-1 16 64 256 1024}
ORGS=${BENCH_ORGS:-1 100}
BUILD_DIR=${LLMGW_BUILD_DIR:-$LLMGW_ROOT/build}
build "$BUILD_DIR" llmgw-billing llmgw-billing-load >/dev/null
BIN=$BUILD_DIR/bin

tmp=$(mktemp -d /tmp/llmgw-bench.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pg_stop
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
# Durable settings (fsync on): money paths are measured as they run in production.
PG_EXTRA_OPTS="" pg_start "$tmp/pg" "$(free_port)"
psql -q "$PG_URL" -c "CREATE DATABASE llmgw" >/dev/null
echo "PostgreSQL: fsync=$(psql -qtA "$PG_URL" -c 'SHOW fsync'), synchronous_commit=$(psql -qtA "$PG_URL" -c 'SHOW synchronous_commit'); $(nproc) CPUs"
export LLMGW_DATABASE_URL=${PG_URL%/postgres}/llmgw
export LLMGW_INTERNAL_TOKEN=bench-internal-token-0123456789 LLMGW_LOG_LEVEL=warn

# start_billing NAME GROUP_COMMIT: starts llmgw-billing, sets ADDR_<NAME> once it listens.
start_billing() {
  local port
  port=$(free_port)
  LLMGW_BILLING_GROUP_COMMIT=$2 LLMGW_BILLING_ADDR=127.0.0.1:$port \
    LLMGW_METRICS_ADDR=127.0.0.1:$(free_port) "$BIN/llmgw-billing" >"$tmp/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    grep -qs '"listening"' "$tmp/$1.log" && break
    sleep 0.1
  done
  grep -q '"listening"' "$tmp/$1.log" || { cat "$tmp/$1.log"; exit 1; }
  printf -v "ADDR_$1" '%s' "127.0.0.1:$port"
}
LLMGW_LOG_LEVEL=info start_billing single 0  # migrations first, then the second replica
LLMGW_LOG_LEVEL=info start_billing batched 1

# One run (ADDR ORGS WORKERS COALESCE): prints "pairs/s hold p50/p99 settle p50/p99 errors
# mismatches" and the invariants.
run() {
  local out
  out=$("$BIN/llmgw-billing-load" --addr "$1" --orgs "$2" --workers "$3" --coalesce "$4" \
    --seconds "$SECS" --database-url "$LLMGW_DATABASE_URL")
  echo "$out" >>"$tmp/results.jsonl"
  node -e '
    const r = JSON.parse(process.argv[1]);
    const inv = r.invariants.error ? r.invariants.error
      : Object.entries(r.invariants).map(([k, v]) => `${v === 0 ? "ok" : v + " BAD"}: ${k}`).join("; ");
    console.log(`${String(r.pairs_per_s).padStart(6)}/s  hold p50/p99 ${r.hold_us.p50}/${r.hold_us.p99} µs` +
      `  settle p50/p99 ${r.settle_us.p50}/${r.settle_us.p99} µs  errors ${r.errors}` +
      `  balance mismatches ${r.balance_mismatches}\n      invariants after the run: ${inv}`);
  ' "$out"
}

summary=()
pairs_of_last() { tail -1 "$tmp/results.jsonl" | sed -E 's/.*"pairs_per_s":([0-9]+).*/\1/'; }
for orgs in $ORGS; do
  for workers in $WORKERS; do
    echo "orgs=$orgs workers=$workers"
    printf '  one-by-one:   '
    run "$ADDR_single" "$orgs" "$workers" 0
    single=$(pairs_of_last)
    printf '  group commit: '
    run "$ADDR_batched" "$orgs" "$workers" 0
    batched=$(pairs_of_last)
    printf '  + coalesced:  '
    run "$ADDR_batched" "$orgs" "$workers" 1
    coalesced=$(pairs_of_last)
    summary+=("$(printf '%4s %7s %11s %13s %12s %6sx' "$orgs" "$workers" "$single" "$batched" \
      "$coalesced" "$(awk -v a="$coalesced" -v b="$single" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')")")
  done
done
echo
echo "Hold+Settle pairs/s, fsync on (targets: >= 5,000 on 1 org, >= 10,000 over 100 orgs)"
printf '%4s %7s %11s %13s %12s %7s\n' orgs workers one-by-one group-commit +coalesced ratio
printf '%s\n' "${summary[@]}"
curl -s "http://$(grep -o '"metrics_port":[0-9]*' "$tmp/batched.log" | head -1 | sed 's/.*://; s/^/127.0.0.1:/')/metrics" 2>/dev/null |
  grep -E '^llmgw_billing_(batches_total|batched_calls_total)' || true

#!/usr/bin/env bash
# Gateway benchmark: the mock provider measured directly and through the gateway in the same
# run, side by side. Prints figures; never pass/fail. Everything runs on 127.0.0.1.
#   bench/gateway.sh [--quick]     (--quick: shorter runs, 2,000 instead of 8,000 streams)
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$LLMGW_ROOT"
QUICK=false
[[ "${1:-}" == "--quick" ]] && QUICK=true
DUR=${BENCH_SECONDS:-10}
STREAMS=8000
$QUICK && { DUR=3; STREAMS=2000; }

BUILD_DIR=${LLMGW_BUILD_DIR:-$LLMGW_ROOT/build}
build "$BUILD_DIR" "${SERVICE_TARGETS[@]}" llmgw-stream-load >/dev/null
BIN=$BUILD_DIR/bin
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

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

PG_EXTRA_OPTS="-c fsync=off -c synchronous_commit=off" pg_start "$tmp/pg" "$(free_port)"
psql -q "$PG_URL" -c "CREATE DATABASE llmgw" >/dev/null
export LLMGW_DATABASE_URL=${PG_URL%/postgres}/llmgw
export LLMGW_INTERNAL_TOKEN=bench-internal-token-0123456789
export LLMGW_PASSWORD_ITERATIONS=1000 LLMGW_SELF_TOPUP=true LLMGW_LOG_LEVEL=warn
for v in ACCOUNTS METERING BILLING GATEWAY DASHBOARD; do export LLMGW_${v}_ADDR=127.0.0.1:$(free_port); done

"$BIN/llmgw-mock-provider" --addr 127.0.0.1:0 --threads 1 --port-file "$tmp/mock.port" >"$tmp/mock.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [[ -s $tmp/mock.port ]] && break; sleep 0.1; done
MOCK=http://127.0.0.1:$(cat "$tmp/mock.port")
export LLMGW_OPENAI_BASE_URL=$MOCK/openai/v1 LLMGW_ANTHROPIC_BASE_URL=$MOCK/anthropic
export LLMGW_GOOGLE_BASE_URL=$MOCK/google/v1beta/openai LLMGW_XAI_BASE_URL=$MOCK/xai/v1
export LLMGW_SPOOL_DIR=$tmp/spool
export LLMGW_OPENAI_API_KEY=bench-operator-openai LLMGW_ANTHROPIC_API_KEY=bench-operator-anthropic
export LLMGW_GOOGLE_API_KEY=bench-operator-google LLMGW_XAI_API_KEY=bench-operator-xai

for s in accounts metering billing gateway dashboard; do
  LLMGW_METRICS_ADDR=127.0.0.1:$(free_port) "$BIN/llmgw-$s" >"$tmp/$s.log" 2>&1 &
  pids+=($!)
  [[ $s == gateway ]] && GW_PID=$!
done
GW=http://$LLMGW_GATEWAY_ADDR
DASH=http://$LLMGW_DASHBOARD_ADDR
for _ in $(seq 150); do
  curl -fs "$GW/readyz" >/dev/null 2>&1 && curl -fs "$DASH/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

curl -fs -X POST "$DASH/api/auth/register" -H 'content-type: application/json' \
  -d '{"name":"bench","email":"bench@example.com","password":"password123"}' >/dev/null
curl -fs -c "$tmp/jar" -X POST "$DASH/api/auth/login" -H 'content-type: application/json' \
  -d '{"email":"bench@example.com","password":"password123"}' >/dev/null
TOKEN=$(curl -fs -b "$tmp/jar" -X POST "$DASH/api/tokens" -H 'content-type: application/json' \
  -d '{"name":"bench"}' | sed -E 's/.*"token":"([^"]+)".*/\1/')
export BENCH_MONITOR_TOKEN=$TOKEN

BODY='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello"}]}'
SBODY='{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Say hello"}]}'
DIRECT=$MOCK/openai/v1/chat/completions
VIA=$GW/api/v1/openai/chat/completions
load() { "$BIN/llmgw-stream-load" "$@"; }
field() { sed -E "s/.*\"$1\":\{[^}]*\"$2\":([0-9.]+).*/\1/"; }
top() { sed -E "s/.*\"$1\":([0-9.]+).*/\1/"; }

# Warm up the token cache and connection pools.
load --url "$VIA" --header "X-Monitor-Token: $TOKEN" --header 'Authorization: Bearer sk-bench' \
  --body "$BODY" --connections 4 --requests-per-conn 200 >/dev/null

echo "== 1 connection, non-streaming (latency, µs) =="
N1=$((DUR * 1500))
d=$(load --url "$DIRECT" --header 'Authorization: Bearer sk-bench' --body "$BODY" --requests-per-conn "$N1")
g=$(load --url "$VIA" --header "X-Monitor-Token: $TOKEN" --header 'Authorization: Bearer sk-bench' --body "$BODY" --requests-per-conn "$N1")
printf "%-10s %10s %10s %10s\n" "" direct gateway added
for p in p50 p99; do
  dv=$(echo "$d" | field total_us $p); gv=$(echo "$g" | field total_us $p)
  printf "%-10s %10s %10s %10s\n" "$p" "$dv" "$gv" "$((gv - dv))"
done

echo "== 64 connections, non-streaming (wrk, req/s) =="
wrk_rps() { BENCH_BODY=$BODY BENCH_MONITOR_TOKEN=${2:-} wrk -t2 -c64 -d"${DUR}s" -s bench/post.lua "$1" | awk '/Requests\/sec/ {print $2}'; }
dr=$(wrk_rps "$DIRECT")
gr=$(wrk_rps "$VIA" "$TOKEN")
printf "direct %s req/s, gateway %s req/s, gateway/direct %s%%\n" "$dr" "$gr" \
  "$(awk -v a="$gr" -v b="$dr" 'BEGIN {printf "%.1f", 100*a/b}')"

echo "== time to first stream byte, 1 connection (µs) =="
d=$(load --url "$DIRECT" --header 'Authorization: Bearer sk-bench' --body "$SBODY" --requests-per-conn 2000)
g=$(load --url "$VIA" --header "X-Monitor-Token: $TOKEN" --header 'Authorization: Bearer sk-bench' --body "$SBODY" --requests-per-conn 2000)
for p in p50 p99; do
  dv=$(echo "$d" | field ttfb_us $p); gv=$(echo "$g" | field ttfb_us $p)
  printf "%-10s direct %8s gateway %8s added %8s\n" "$p" "$dv" "$gv" "$((gv - dv))"
done

echo "== reseller vs pass-through, 1 connection, non-streaming (latency, µs) =="
KEY=$(curl -fs -b "$tmp/jar" -X POST "$DASH/api/keys" -H 'content-type: application/json' \
  -d '{"name":"bench"}' | sed -E 's/.*"key":"([^"]+)".*/\1/')
curl -fs -b "$tmp/jar" -X POST "$DASH/api/balance/charge" -H 'content-type: application/json' \
  -d '{"amount": 100000}' >/dev/null
RES=$GW/api/v1/chat/completions
load --url "$RES" --header "Authorization: Bearer $KEY" --body "$BODY" --requests-per-conn 200 >/dev/null
NR=$((DUR * 300))
p=$(load --url "$VIA" --header "X-Monitor-Token: $TOKEN" --header 'Authorization: Bearer sk-bench' --body "$BODY" --requests-per-conn "$NR")
r=$(load --url "$RES" --header "Authorization: Bearer $KEY" --body "$BODY" --requests-per-conn "$NR")
for q in p50 p99; do
  pv=$(echo "$p" | field total_us $q); rv=$(echo "$r" | field total_us $q)
  printf "%-10s pass-through %8s reseller %8s added %8s\n" "$q" "$pv" "$rv" "$((rv - pv))"
done
echo "reseller statuses: $(echo "$r" | sed -E 's/.*"statuses":(\{[^}]*\}).*/\1/')"

echo "== $STREAMS concurrent streams, each 10 s at the mock =="
s=$(load --url "$VIA" --header "X-Monitor-Token: $TOKEN" --header 'Authorization: Bearer sk-bench' \
  --header 'x-mock-chunks: 10' --header 'x-mock-chunk-delay-ms: 1000' --body "$SBODY" \
  --connections "$STREAMS" --threads 2 --timeout-s 120 --ramp-ms 3000 || true)
echo "$s"
echo "gateway peak RSS: $(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' /proc/$GW_PID/status)"

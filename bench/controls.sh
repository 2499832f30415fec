#!/usr/bin/env bash
# Controls benchmark (issue 16): what a pass-through request's controls add at 1 connection, side
# by side in one run. Rows, each its own monitor token of one organization:
#   direct        the mock provider, no gateway (the baseline of "added")
#   unlimited     a token without limits (the controls cost nothing but a check of two fields)
#   rpm-local     rpm and tpm set, limits kept in the gateway process
#   rpm-redis     the same token through a second gateway whose limits live in Redis
#   budget        a daily budget: a budget-only hold in billing before the call, settled after
# Limits are set so high that nothing is refused. Prints figures; never pass/fail.
#   bench/controls.sh [--quick]
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$LLMGW_ROOT"
N=${BENCH_REQUESTS:-4000}
[[ "${1:-}" == "--quick" ]] && N=1000
ROUNDS=5

BUILD_DIR=${LLMGW_BUILD_DIR:-$LLMGW_ROOT/build}
build "$BUILD_DIR" "${SERVICE_TARGETS[@]}" llmgw-stream-load >/dev/null
BIN=$BUILD_DIR/bin

tmp=$(mktemp -d /tmp/llmgw-bench-controls.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  redis_stop
  pg_stop
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

PG_EXTRA_OPTS="-c fsync=off -c synchronous_commit=off" pg_start "$tmp/pg" "$(free_port)"
redis_start "$tmp/redis" "$(free_port)"
psql -q "$PG_URL" -c "CREATE DATABASE llmgw" >/dev/null
export LLMGW_DATABASE_URL=${PG_URL%/postgres}/llmgw
export LLMGW_INTERNAL_TOKEN=bench-internal-token-0123456789
export LLMGW_PASSWORD_ITERATIONS=1000 LLMGW_LOG_LEVEL=warn
for v in ACCOUNTS METERING BILLING GATEWAY DASHBOARD; do export LLMGW_${v}_ADDR=127.0.0.1:$(free_port); done

"$BIN/llmgw-mock-provider" --addr 127.0.0.1:0 --threads 1 --port-file "$tmp/mock.port" >"$tmp/mock.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [[ -s $tmp/mock.port ]] && break; sleep 0.1; done
MOCK=http://127.0.0.1:$(cat "$tmp/mock.port")
export LLMGW_OPENAI_BASE_URL=$MOCK/openai/v1 LLMGW_ANTHROPIC_BASE_URL=$MOCK/anthropic
export LLMGW_GOOGLE_BASE_URL=$MOCK/google/v1beta/openai LLMGW_XAI_BASE_URL=$MOCK/xai/v1
export LLMGW_SPOOL_DIR=$tmp/spool

for s in accounts metering billing gateway dashboard; do
  LLMGW_METRICS_ADDR=127.0.0.1:$(free_port) "$BIN/llmgw-$s" >"$tmp/$s.log" 2>&1 &
  pids+=($!)
done
GWR_ADDR=127.0.0.1:$(free_port)
LLMGW_GATEWAY_ADDR=$GWR_ADDR LLMGW_REDIS_URL=$REDIS_URL LLMGW_SPOOL_DIR=$tmp/spool-redis \
  LLMGW_METRICS_ADDR=127.0.0.1:$(free_port) "$BIN/llmgw-gateway" >"$tmp/gateway-redis.log" 2>&1 &
pids+=($!)

GW=http://$LLMGW_GATEWAY_ADDR
DASH=http://$LLMGW_DASHBOARD_ADDR
for _ in $(seq 300); do
  curl -fs "$GW/readyz" >/dev/null 2>&1 && curl -fs "http://$GWR_ADDR/readyz" >/dev/null 2>&1 &&
    curl -fs "$DASH/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

curl -fs -X POST "$DASH/api/auth/register" -H 'content-type: application/json' \
  -d '{"name":"bench","email":"bench@example.com","password":"password123"}' >/dev/null
curl -fs -c "$tmp/jar" -X POST "$DASH/api/auth/login" -H 'content-type: application/json' \
  -d '{"email":"bench@example.com","password":"password123"}' >/dev/null
# new_token NAME LIMITS_JSON: creates a monitor token, sets its limits ({} for none), prints it.
new_token() {
  local out id secret
  out=$(curl -fs -b "$tmp/jar" -X POST "$DASH/api/tokens" -H 'content-type: application/json' \
    -d "{\"name\":\"$1\"}")
  id=$(sed -E 's/.*"id":"([^"]+)".*/\1/' <<<"$out")
  secret=$(sed -E 's/.*"token":"([^"]+)".*/\1/' <<<"$out")
  [[ $2 == '{}' ]] || curl -fs -b "$tmp/jar" -X PATCH "$DASH/api/tokens?id=$id" \
    -H 'content-type: application/json' -d "$2" >/dev/null
  echo "$secret"
}
T_FREE=$(new_token unlimited '{}')
T_RPM=$(new_token rpm '{"rpm":1000000000,"tpm":1000000000}')
T_BUDGET=$(new_token budget '{"daily_budget_usd":1000000}')

BODY='{"model":"gpt-4o-mini","max_tokens":50,"messages":[{"role":"user","content":"Say hello"}]}'
DIRECT=$MOCK/openai/v1/chat/completions
VIA=$GW/api/v1/openai/chat/completions
VIAR=http://$GWR_ADDR/api/v1/openai/chat/completions
load() { "$BIN/llmgw-stream-load" "$@"; }
field() { sed -E "s/.*\"$1\":\{[^}]*\"$2\":([0-9.]+).*/\1/"; }
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

names=(direct unlimited rpm-local rpm-redis budget)
urls=("$DIRECT" "$VIA" "$VIA" "$VIAR" "$VIA")
tokens=("$T_FREE" "$T_FREE" "$T_RPM" "$T_RPM" "$T_BUDGET")
for i in "${!names[@]}"; do  # warm-up: credential caches, pools, Redis scripts
  load --url "${urls[$i]}" --header "X-Monitor-Token: ${tokens[$i]}" \
    --header 'Authorization: Bearer sk-bench' --body "$BODY" --requests-per-conn 300 >/dev/null
done
echo "== pass-through controls at 1 connection: latency (µs, median of $ROUNDS interleaved rounds of $N requests) =="
declare -A P50 P99
for ((r = 0; r < ROUNDS; r++)); do
  for i in "${!names[@]}"; do
    sleep 0.3  # the previous row's usage events reach metering
    out=$(load --url "${urls[$i]}" --header "X-Monitor-Token: ${tokens[$i]}" \
      --header 'Authorization: Bearer sk-bench' --body "$BODY" --requests-per-conn "$N")
    P50[${names[$i]}]+="$(echo "$out" | field total_us p50) "
    P99[${names[$i]}]+="$(echo "$out" | field total_us p99) "
  done
done
printf "%-12s %8s %8s %14s %14s\n" "" p50 p99 "over unlimited" "(p99)"
u50=$(median "${P50[unlimited]}"); u99=$(median "${P99[unlimited]}")
for n in "${names[@]}"; do
  v50=$(median "${P50[$n]}"); v99=$(median "${P99[$n]}")
  printf "%-12s %8s %8s %14s %14s\n" "$n" "$v50" "$v99" "$((v50 - u50))" "$((v99 - u99))"
done
echo "(limits set high enough that nothing is refused; budget: one Hold before and one settle after each request)"

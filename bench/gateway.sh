#!/usr/bin/env bash
# Gateway benchmark: the mock provider measured directly and through the gateway in the same
# run, side by side. Prints figures; never pass/fail. Everything runs on 127.0.0.1.
#   bench/gateway.sh [--quick]     (--quick: shorter runs, 2,000 instead of 8,000 streams)
#   bench/gateway.sh --reseller    (only the reseller vs pass-through rows)
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$LLMGW_ROOT"
QUICK=false
RESELLER_ONLY=false
[[ "${1:-}" == "--quick" ]] && QUICK=true
[[ "${1:-}" == "--reseller" ]] && RESELLER_ONLY=true
DUR=${BENCH_SECONDS:-10}
STREAMS=8000
$QUICK && { DUR=3; STREAMS=2000; }

BUILD_DIR=${LLMGW_BUILD_DIR:-$LLMGW_ROOT/build}
build "$BUILD_DIR" "${SERVICE_TARGETS[@]}" llmgw-stream-load llmgw-bench-relay >/dev/null
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
MOCK_PID=$!
for _ in $(seq 50); do [[ -s $tmp/mock.port ]] && break; sleep 0.1; done
MOCK=http://127.0.0.1:$(cat "$tmp/mock.port")
# The same mock over HTTPS (every real provider is HTTPS), with a certificate from a CA it makes
# at start; the TLS gateway below trusts that CA through SSL_CERT_FILE.
"$BIN/llmgw-mock-provider" --addr 127.0.0.1:0 --threads 1 --port-file "$tmp/mocktls.port" \
  --tls-dir "$tmp/mock-tls" >"$tmp/mock-tls.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [[ -s $tmp/mocktls.port ]] && break; sleep 0.1; done
MOCKTLS=https://localhost:$(cat "$tmp/mocktls.port")
export LLMGW_OPENAI_BASE_URL=$MOCK/openai/v1 LLMGW_ANTHROPIC_BASE_URL=$MOCK/anthropic
export LLMGW_GOOGLE_BASE_URL=$MOCK/google/v1beta/openai LLMGW_XAI_BASE_URL=$MOCK/xai/v1
export LLMGW_SPOOL_DIR=$tmp/spool
export LLMGW_OPENAI_API_KEY=bench-operator-openai LLMGW_ANTHROPIC_API_KEY=bench-operator-anthropic
export LLMGW_GOOGLE_API_KEY=bench-operator-google LLMGW_XAI_API_KEY=bench-operator-xai

BACKEND_PIDS=()
for s in accounts metering billing gateway dashboard; do
  metrics_addr=127.0.0.1:$(free_port)
  [[ $s == billing ]] && BILLING_METRICS=$metrics_addr
  LLMGW_METRICS_ADDR=$metrics_addr "$BIN/llmgw-$s" >"$tmp/$s.log" 2>&1 &
  pids+=($!)
  [[ $s == gateway ]] && GW_PID=$!
  [[ $s == metering ]] && METERING_PID=$!
  [[ $s != gateway ]] && BACKEND_PIDS+=($!)
done
# The same gateway with its I/O threads polling before they sleep (LLMGW_GATEWAY_BUSY_POLL_US).
BUSY_US=${BENCH_BUSY_POLL_US:-200}
GWB_ADDR=127.0.0.1:$(free_port)
LLMGW_GATEWAY_ADDR=$GWB_ADDR LLMGW_GATEWAY_BUSY_POLL_US=$BUSY_US LLMGW_SPOOL_DIR=$tmp/spool-busy \
  LLMGW_METRICS_ADDR=127.0.0.1:$(free_port) "$BIN/llmgw-gateway" >"$tmp/gateway-busy.log" 2>&1 &
pids+=($!)
GWB_PID=$!
# Diagnostic: the busy-polling gateway with metering unreachable, so its usage events go to the
# spool file. The difference to gateway-busy is what metering and PostgreSQL cost the request
# path when they share this machine's two vCPUs with everything else.
GWS_ADDR=127.0.0.1:$(free_port)
LLMGW_GATEWAY_ADDR=$GWS_ADDR LLMGW_GATEWAY_BUSY_POLL_US=$BUSY_US LLMGW_SPOOL_DIR=$tmp/spool-nometer \
  LLMGW_METERING_ADDR=127.0.0.1:$(free_port) LLMGW_METRICS_ADDR=127.0.0.1:$(free_port) \
  "$BIN/llmgw-gateway" >"$tmp/gateway-spool.log" 2>&1 &
pids+=($!)
# Diagnostic: the busy-polling gateway to the HTTPS mock: what TLS on the (pooled) provider
# connection costs a request, the mock's side of it included.
GWT_ADDR=127.0.0.1:$(free_port)
LLMGW_GATEWAY_ADDR=$GWT_ADDR LLMGW_GATEWAY_BUSY_POLL_US=$BUSY_US LLMGW_SPOOL_DIR=$tmp/spool-tls \
  LLMGW_OPENAI_BASE_URL=$MOCKTLS/openai/v1 SSL_CERT_FILE=$tmp/mock-tls/ca.pem \
  LLMGW_METRICS_ADDR=127.0.0.1:$(free_port) "$BIN/llmgw-gateway" >"$tmp/gateway-tls.log" 2>&1 &
pids+=($!)
# The floor: a do-nothing Beast relay to the mock (bench/relay.cc), plain and busy-polling.
"$BIN/llmgw-bench-relay" --upstream "${MOCK#http://}" --port-file "$tmp/relay.port" >/dev/null 2>&1 &
pids+=($!)
RELAY_PID=$!
"$BIN/llmgw-bench-relay" --upstream "${MOCK#http://}" --port-file "$tmp/relayb.port" \
  --busy-poll-us "$BUSY_US" >/dev/null 2>&1 &
pids+=($!)
GW=http://$LLMGW_GATEWAY_ADDR
DASH=http://$LLMGW_DASHBOARD_ADDR
for _ in $(seq 150); do
  curl -fs "$GW/readyz" >/dev/null 2>&1 && curl -fs "http://$GWB_ADDR/readyz" >/dev/null 2>&1 &&
    curl -fs "http://$GWS_ADDR/readyz" >/dev/null 2>&1 &&
    curl -fs "http://$GWT_ADDR/readyz" >/dev/null 2>&1 &&
    curl -fs "$DASH/healthz" >/dev/null 2>&1 && [[ -s $tmp/relay.port && -s $tmp/relayb.port ]] && break
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

VIAB=http://$GWB_ADDR/api/v1/openai/chat/completions
VIAS=http://$GWS_ADDR/api/v1/openai/chat/completions
VIAT=http://$GWT_ADDR/api/v1/openai/chat/completions
RELAY=http://127.0.0.1:$(cat "$tmp/relay.port")/openai/v1/chat/completions
RELAYB=http://127.0.0.1:$(cat "$tmp/relayb.port")/openai/v1/chat/completions
MON=(--header "X-Monitor-Token: $TOKEN" --header 'Authorization: Bearer sk-bench')
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# CPU ticks of every thread of the usage pipeline's back end: metering and all PostgreSQL
# processes (the server runs as the postgres user; the benchmark's is the only one).
pipeline_ticks() {
  local t=0 f
  for f in /proc/"$METERING_PID"/task/*/stat $(for p in $(pgrep -u postgres); do echo /proc/$p/task/*/stat; done); do
    t=$((t + $(awk '{print $14 + $15}' "$f" 2>/dev/null || echo 0)))
  done
  echo "$t"
}
# usage_pipeline_policy -i|-o: puts the usage pipeline at SCHED_IDLE (-i) or back to normal
# (-o): PostgreSQL, metering, and every thread of the busy-polling gateway but its I/O threads
# (gw-io-N: the usage shipper, gRPC's threads, the price refresher). SCHED_IDLE threads run only
# when a CPU has nothing else to do, so the row shows the request path when background work
# yields to it, as it does when the pipeline has CPUs of its own.
usage_pipeline_policy() {
  local p t
  for p in $(pgrep -u postgres) "$METERING_PID"; do chrt -a "$1" -p 0 "$p" >/dev/null 2>&1 || true; done
  for t in /proc/"$GWB_PID"/task/*; do
    [[ $(cat "$t/comm" 2>/dev/null) == gw-io-* ]] && continue
    chrt "$1" -p 0 "${t##*/}" >/dev/null 2>&1 || true
  done
}
# wait_idle N: waits (up to N s) for a second in which the machine is at least 90% idle.
idle_pct() {
  local a b
  read -r -a a < <(head -1 /proc/stat); sleep 1; read -r -a b < <(head -1 /proc/stat)
  local idle=$((b[4] + b[5] - a[4] - a[5])) total=0
  for k in 1 2 3 4 5 6 7 8; do total=$((total + b[k] - a[k])); done
  echo $((total > 0 ? 100 * idle / total : 100))
}
wait_idle() { for _ in $(seq "$1"); do (($(idle_pct) >= 90)) && break; done; }
# drain_usage: a row's usage events reach metering up to 200 ms (the shipper's flush interval)
# after its last request, and PostgreSQL needs a few ms per batch of them. Without this pause the
# next row would be measured during that ingest: every row then pays for the one before it.
drain_usage() { sleep 0.4; }
# median "v1 v2 …": the middle value of a space-separated list.
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# reseller_vs_passthrough: the same request, 1 connection, pass-through (monitor token) and
# reseller (llm_sk_ key: a billing Hold before the provider call, the settle queued after), in
# ROUNDS interleaved rounds; medians of the rounds' percentiles. Billing's own time for a Hold (its
# gRPC handler, from its metrics) is printed beside, so the added time splits into billing's work
# and the round trip to it.
reseller_vs_passthrough() {
  echo "== reseller vs pass-through, 1 connection, non-streaming (latency, µs, median of $ROUNDS interleaved rounds) =="
  local key res nr p r q pv rv
  key=$(curl -fs -b "$tmp/jar" -X POST "$DASH/api/keys" -H 'content-type: application/json' \
    -d '{"name":"bench"}' | sed -E 's/.*"key":"([^"]+)".*/\1/')
  curl -fs -b "$tmp/jar" -X POST "$DASH/api/balance/charge" -H 'content-type: application/json' \
    -d '{"amount": 100000}' >/dev/null
  res=$GW/api/v1/chat/completions
  load --url "$res" --header "Authorization: Bearer $key" --body "$BODY" --requests-per-conn 200 >/dev/null
  nr=$((DUR * 300))
  declare -A RP
  local hold0 hold1
  hold0=$(billing_hold_seconds)
  for ((r = 0; r < ROUNDS; r++)); do
    drain_usage
    p=$(load --url "$VIA" --header "X-Monitor-Token: $TOKEN" --header 'Authorization: Bearer sk-bench' --body "$BODY" --requests-per-conn "$nr")
    drain_usage
    r_out=$(load --url "$res" --header "Authorization: Bearer $key" --body "$BODY" --requests-per-conn "$nr")
    for q in p50 p99; do
      RP[pass_$q]+="$(echo "$p" | field total_us $q) "
      RP[res_$q]+="$(echo "$r_out" | field total_us $q) "
    done
  done
  hold1=$(billing_hold_seconds)
  for q in p50 p99; do
    pv=$(median "${RP[pass_$q]}"); rv=$(median "${RP[res_$q]}")
    printf "%-10s pass-through %8s reseller %8s added %8s\n" "$q" "$pv" "$rv" "$((rv - pv))"
  done
  echo "billing's Hold handler, mean over the reseller rows: $(awk -v a="$hold0" -v b="$hold1" \
    'BEGIN { split(a, x); split(b, y); n = y[2] - x[2]; printf "%.0f µs (%d holds)", (n > 0 ? 1e6 * (y[1] - x[1]) / n : 0), n }')"
  echo "reseller statuses: $(echo "$r_out" | sed -E 's/.*"statuses":(\{[^}]*\}).*/\1/')"
}
# billing_hold_seconds: "<sum of seconds> <count>" of billing's Hold handler so far.
billing_hold_seconds() {
  curl -s "http://$BILLING_METRICS/metrics" | awk '
    /^llmgw_grpc_server_handling_seconds_sum\{.*method="Hold"/ { s += $2 }
    /^llmgw_grpc_server_handling_seconds_count\{.*method="Hold"/ { c += $2 }
    END { printf "%f %d", s, c }'
}
# Warm up the token caches and connection pools.
for u in "$VIA" "$VIAB" "$VIAS" "$VIAT" "$RELAY" "$RELAYB"; do
  load --url "$u" "${MON[@]}" --body "$BODY" --connections 4 --requests-per-conn 200 >/dev/null
done

# What makes "direct" fast or slow here: in a VM whose idle vCPUs halt, waking one costs tens of
# µs, and the load client, the mock and the gateway sit on different vCPUs more often than not.
# Guest halt polling (cpuidle-haltpoll) hides that cost; this machine's setting is printed, not
# changed.
echo "host: $(nproc) CPUs; cpuidle $(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null || echo '?');" \
  "guest_halt_poll_ns $(cat /sys/module/haltpoll/parameters/guest_halt_poll_ns 2>/dev/null || echo '-')"

# This VM's latency drifts by 2x over minutes, so every target is measured in each of ROUNDS
# interleaved rounds and the median of the rounds' percentiles is printed. A row lasts about a
# second: several of the shipper's batches (2,000 events, or 200 ms), so the usage pipeline's work
# for a row's requests happens while the row runs, as it does under steady traffic.
ROUNDS=5
N1=$((DUR * 1000))
if $RESELLER_ONLY; then
  reseller_vs_passthrough
  exit 0
fi
echo "== 1 connection, non-streaming: latency (µs, median of $ROUNDS interleaved rounds of $N1 requests) =="
names=(direct relay relay-busy gateway gateway-busy gw-busy-bg-idle gw-busy-spool gw-busy-tls)
urls=("$DIRECT" "$RELAY" "$RELAYB" "$VIA" "$VIAB" "$VIAB" "$VIAS" "$VIAT")
declare -A P50 P99 P999
relay_ticks=0; gw_ticks=0
pipeline_ticks0=$(pipeline_ticks)
for ((r = 0; r < ROUNDS; r++)); do
  for i in "${!names[@]}"; do
    n=${names[$i]}
    [[ $n == relay ]] && t0=$(cpu_ticks "$RELAY_PID")
    [[ $n == gateway ]] && t0=$(cpu_ticks "$GW_PID")
    drain_usage
    [[ $n == gw-busy-bg-idle ]] && usage_pipeline_policy -i
    out=$(load --url "${urls[$i]}" "${MON[@]}" --body "$BODY" --requests-per-conn "$N1")
    [[ $n == gw-busy-bg-idle ]] && usage_pipeline_policy -o
    [[ $n == relay ]] && relay_ticks=$((relay_ticks + $(cpu_ticks "$RELAY_PID") - t0))
    [[ $n == gateway ]] && gw_ticks=$((gw_ticks + $(cpu_ticks "$GW_PID") - t0))
    P50[$n]+="$(echo "$out" | field total_us p50) "
    P99[$n]+="$(echo "$out" | field total_us p99) "
    P999[$n]+="$(echo "$out" | field total_us p999) "
  done
done
printf "%-16s %8s %8s %8s %12s %12s\n" "" p50 p99 p99.9 "added p50" "added p99"
d50=$(median "${P50[direct]}"); d99=$(median "${P99[direct]}")
for n in "${names[@]}"; do
  v50=$(median "${P50[$n]}"); v99=$(median "${P99[$n]}")
  printf "%-16s %8s %8s %8s %12s %12s\n" "$n" "$v50" "$v99" "$(median "${P999[$n]}")" \
    "$((v50 - d50))" "$((v99 - d99))"
done
hz=$(getconf CLK_TCK)
total=$((ROUNDS * N1))
echo "(gw-busy-bg-idle: gateway-busy while PostgreSQL, metering and the gateway's non-I/O threads run at SCHED_IDLE)"
echo "(gw-busy-spool: gateway-busy with metering unreachable, usage events spooled to a file)"
echo "(gw-busy-tls: gateway-busy to the same mock over HTTPS; \"added\" includes the mock's TLS side)"
echo "CPU per request (user + system): relay $((relay_ticks * 1000000 / hz / total)) µs," \
  "gateway $((gw_ticks * 1000000 / hz / total)) µs (busy-polling variants spin, so not counted)"
# Every request of the four rows that reach metering is one usage event; give the
# pipeline a moment to finish the last batches.
wait_idle 20
echo "usage pipeline CPU per event (PostgreSQL + metering): " \
  "$(( (($(pipeline_ticks) - pipeline_ticks0) * 1000000 / hz) / (total * 4) )) µs"

# The gateway alone: the usage pipeline and the other services (PostgreSQL, metering, billing,
# accounts, dashboard) on CPU 1; the gateway, the do-nothing relay, the mock and the load client
# on CPU 0. What could not be separated on two CPUs: the load client and the mock share the
# gateway's CPU (the relay row pays the same, so "added" compares like with like), and the
# gateway's own background threads (usage shipper, journal fsync, gRPC) stay on CPU 0 with it.
if (($(nproc) >= 2)) && command -v taskset >/dev/null; then
  pin() { local mask=$1; shift; for p in "$@"; do taskset -a -p "$mask" "$p" >/dev/null 2>&1 || true; done; }
  pin 2 $(pgrep -u postgres) "${BACKEND_PIDS[@]}"
  pin 1 "$GW_PID" "$RELAY_PID" "$MOCK_PID"
  echo "== the gateway alone: pipeline on CPU 1; gateway, relay, mock and load client on CPU 0 (µs) =="
  declare -A A50 A99 A999
  for ((r = 0; r < ROUNDS; r++)); do
    for n in relay gateway; do
      u=$RELAY; [[ $n == gateway ]] && u=$VIA
      drain_usage
      out=$(taskset 1 "$BIN/llmgw-stream-load" --url "$u" "${MON[@]}" --body "$BODY" --requests-per-conn "$N1")
      A50[$n]+="$(echo "$out" | field total_us p50) "
      A99[$n]+="$(echo "$out" | field total_us p99) "
      A999[$n]+="$(echo "$out" | field total_us p999) "
    done
  done
  r50=$(median "${A50[relay]}"); r99=$(median "${A99[relay]}"); r999=$(median "${A999[relay]}")
  for n in relay gateway; do
    v50=$(median "${A50[$n]}"); v99=$(median "${A99[$n]}"); v999=$(median "${A999[$n]}")
    printf "%-10s p50 %6s p99 %6s p99.9 %6s   over the relay: p50 %6s p99 %6s p99.9 %6s\n" \
      "$n" "$v50" "$v99" "$v999" "$((v50 - r50))" "$((v99 - r99))" "$((v999 - r999))"
  done
  pin 3 $(pgrep -u postgres) "${BACKEND_PIDS[@]}" "$GW_PID" "$RELAY_PID" "$MOCK_PID"
fi

# Before the 64-connection run: its ~100,000 usage events keep metering and PostgreSQL busy for
# seconds afterwards, on the same two vCPUs.
echo "== time to first stream byte, 1 connection (µs, median of $ROUNDS interleaved rounds) =="
names=(direct gateway gateway-busy)
urls=("$DIRECT" "$VIA" "$VIAB")
declare -A T50 T99
for ((r = 0; r < ROUNDS; r++)); do
  for i in "${!names[@]}"; do
    drain_usage
    out=$(load --url "${urls[$i]}" "${MON[@]}" --body "$SBODY" --requests-per-conn $((DUR * 300)))
    T50[${names[$i]}]+="$(echo "$out" | field ttfb_us p50) "
    T99[${names[$i]}]+="$(echo "$out" | field ttfb_us p99) "
  done
done
d50=$(median "${T50[direct]}"); d99=$(median "${T99[direct]}")
for n in "${names[@]}"; do
  v50=$(median "${T50[$n]}"); v99=$(median "${T99[$n]}")
  printf "%-14s p50 %6s p99 %6s   added p50 %6s p99 %6s\n" "$n" "$v50" "$v99" \
    "$((v50 - d50))" "$((v99 - d99))"
done

echo "== 64 connections, non-streaming (wrk, req/s) =="
wrk_rps() { BENCH_BODY=$BODY BENCH_MONITOR_TOKEN=${2:-} wrk -t2 -c64 -d"${DUR}s" -s bench/post.lua "$1" | awk '/Requests\/sec/ {print $2}'; }
dr=$(wrk_rps "$DIRECT")
gr=$(wrk_rps "$VIA" "$TOKEN")
gbr=$(wrk_rps "$VIAB" "$TOKEN")
pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", 100*a/b}'; }
printf "direct %s req/s; gateway %s req/s = %s%%; gateway-busy %s req/s = %s%%\n" "$dr" \
  "$gr" "$(pct "$gr" "$dr")" "$gbr" "$(pct "$gbr" "$dr")"

# Let metering and PostgreSQL catch up with the events of the 64-connection run first.
wait_idle 60

reseller_vs_passthrough

echo "== $STREAMS concurrent streams, each 10 s at the mock =="
s=$(load --url "$VIA" --header "X-Monitor-Token: $TOKEN" --header 'Authorization: Bearer sk-bench' \
  --header 'x-mock-chunks: 10' --header 'x-mock-chunk-delay-ms: 1000' --body "$SBODY" \
  --connections "$STREAMS" --threads 2 --timeout-s 120 --ramp-ms 3000 || true)
echo "$s"
echo "gateway peak RSS: $(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' /proc/$GW_PID/status)"

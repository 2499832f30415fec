-- wrk script: POST $BENCH_BODY with JSON content type, a customer key and, when set, a monitor token.
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer sk-bench-customer-key"
local token = os.getenv("BENCH_MONITOR_TOKEN")
if token and token ~= "" then wrk.headers["X-Monitor-Token"] = token end

#!/bin/sh
# The dashboard's latency with idle and trickling connections held against it, this build beside
# a baseline build (e.g. one from before the dashboard moved to libs/httpd):
#   LLMGW_TEST_DATABASE_URL=… bench/dashboard_connections.sh [baseline-bin-dir]
# Node only: the harness uses its built-ins.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
LLMGW_BIN_DIR="$here/../build/bin" node "$here/dashboard_connections.mjs" "this build"
if [ $# -ge 1 ]; then
  LLMGW_BIN_DIR="$1" node "$here/dashboard_connections.mjs" "baseline"
fi

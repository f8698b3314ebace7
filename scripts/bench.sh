#!/usr/bin/env bash
# The benchmarks (bench/run.ts) on the project's Node.js; arguments pass through to bench/run.ts.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
source scripts/runtime.sh
exec node -r ./bench/register.js bench/run.ts "$@"

#!/usr/bin/env bash
# Every check: types, lint, formatting, unit tests and end-to-end tests under the
# real Pulumi engine (built on first use by scripts/engine.sh) against the local
# cloud (DAS tests start private MariaDB servers via scripts/mariadb.sh, which installs
# Debian's mariadb-server here when it is missing).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# Nothing may leave loopback: no instance-metadata credential lookups.
export ALIBABA_CLOUD_ECS_METADATA_DISABLED=true AWS_EC2_METADATA_DISABLED=true

echo "== engine"
bash scripts/engine.sh >/dev/null
echo "== database (the DAS tests kill sessions on a real MariaDB)"
bash scripts/mariadb.sh install
echo "== typecheck"
npx tsc -p tsconfig.json --noEmit
echo "== lint"
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
echo "== tests"
mkdir -p .work
status=0
npx jest --ci --json --outputFile=.work/jest-results.json "$@" || status=$?
node -e '
const r = require("./.work/jest-results.json");
console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);'
exit $status

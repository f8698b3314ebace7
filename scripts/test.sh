#!/usr/bin/env bash
# Every check: types, lint, formatting, unit tests and end-to-end tests under the
# real Pulumi engine (built on first use by scripts/engine.sh) against the local
# cloud (DAS tests start private MariaDB servers via scripts/mariadb.sh, which installs
# Debian's mariadb-server here when it is missing). Runs on the project's Node.js
# (scripts/runtime.sh), installing the dependencies first when they are missing.
#   npm test                                    everything
#   npm test -- --selectProjects e2e            jest's own arguments pass through
#   PULUMI_SESSIONS_NODE=22 npm test            another Node.js line
#   PULUMI_SESSIONS_PROGRAM_PULUMI=3.248.0 ...  programs get that @pulumi/pulumi (test/e2e/globalSetup.ts)
# The last line counts the tests; the jest report goes to $PULUMI_SESSIONS_TEST_REPORT
# (default .work/jest-results.json).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
source scripts/runtime.sh
echo "== node $(node --version)"

echo "== engine"
bash scripts/engine.sh >/dev/null
echo "== the official AWS session-manager-plugin (the judge of our SSM data plane)"
bash scripts/ssm-plugin.sh >/dev/null
echo "== the Pulumi YAML language host (programs using the provider plugin)"
bash scripts/yaml-host.sh >/dev/null
echo "== database (the DAS tests kill sessions on a real MariaDB)"
bash scripts/mariadb.sh install
echo "== typecheck"
npx tsc -p tsconfig.json --noEmit
echo "== lint"
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
echo "== tests"
mkdir -p .work
report=${PULUMI_SESSIONS_TEST_REPORT:-.work/jest-results.json}
rm -f "$report"
status=0
npx jest --ci --json --outputFile="$report" "$@" || status=$?
node scripts/testCount.js "$report"
exit $status

# Sourced by the scripts that run the project (tests, demo, benchmarks): puts the project's own
# Node.js first on PATH (scripts/node.sh; PULUMI_SESSIONS_NODE picks another supported line, e.g.
# 22) and installs the dependencies with `npm ci` when node_modules does not match the lockfile.
# Expects $repo to be the repository root.
node_bin=$(bash "$repo/scripts/node.sh" ${PULUMI_SESSIONS_NODE:+"$PULUMI_SESSIONS_NODE"})
export PATH="$node_bin:$PATH"
# npm writes node_modules/.package-lock.json on every install; ours records the lockfile it came from.
deps_stamp="$repo/node_modules/.pulumi-sessions-lock"
if ! cmp -s "$repo/package-lock.json" "$deps_stamp" 2>/dev/null; then
  echo "== dependencies (npm ci on node $(node --version))" >&2
  (cd "$repo" && npm ci --no-audit --no-fund >&2)
  cp "$repo/package-lock.json" "$deps_stamp"
fi
# Nothing may leave loopback: no instance-metadata credential lookups.
export ALIBABA_CLOUD_ECS_METADATA_DISABLED=true AWS_EC2_METADATA_DISABLED=true

#!/usr/bin/env bash
# Builds the provider plugin archive for machines without this repo or npm access:
#   pulumi plugin install resource sessions <version> --file pulumi-resource-sessions-v<version>.tar.gz
# The archive holds the packed package installed with its production dependencies and a
# `pulumi-resource-sessions` launcher at its root (the engine runs that executable). It needs
# Node.js >= 22 on PATH where it runs; no native modules, so one archive serves every platform.
# Usage: scripts/plugin-archive.sh [OUT_DIR] (default: the current folder). Prints the archive path.
# dist/ must be current (scripts/install-local.sh or `npm run build`).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(cd "${1:-.}" && pwd)
[ -f "$repo/dist/plugin/main.js" ] || { echo "plugin-archive: dist/ is not built: run npm run build" >&2; exit 1; }
version=$(node -p "require('$repo/package.json').version")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball=$(cd "$repo" && npm pack --silent --pack-destination "$work")
stage="$work/plugin"
mkdir -p "$stage"
printf '{"name":"pulumi-resource-sessions","private":true,"dependencies":{"pulumi-sessions":"file:%s"}}\n' \
  "$work/$tarball" >"$stage/package.json"
(cd "$stage" && npm install --omit=dev --install-links --prefer-offline --no-audit --no-fund --silent >&2)
rm "$stage/package.json" "$stage/package-lock.json"
cat >"$stage/pulumi-resource-sessions" <<'LAUNCHER'
#!/bin/sh
# The sessions provider plugin: its package and dependencies are beside this file.
here=$(dirname "$(readlink -f "$0")")
exec node "$here/node_modules/pulumi-sessions/dist/plugin/main.js" "$@"
LAUNCHER
chmod 755 "$stage/pulumi-resource-sessions"
archive="$out/pulumi-resource-sessions-v$version.tar.gz"
tar -czf "$archive" -C "$stage" .
echo "$archive"

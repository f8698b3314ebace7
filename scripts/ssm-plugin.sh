#!/usr/bin/env bash
# Makes the official AWS Session Manager plugin (`session-manager-plugin`) available offline and
# prints its bin folder on the last line of stdout (progress goes to stderr).
# Builds it from the Go module proxy (the plugin's repository has no go.mod and no semver tags,
# so tools/ssm-plugin/ pins a pseudo-version) into a per-version cache outside the repo.
# Idempotent: a second run with nothing changed only checks and prints.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { printf 'ssm-plugin: %s\n' "$*" >&2; }
die() { printf 'ssm-plugin: error: %s\n' "$*" >&2; exit 1; }

module_dir="$repo/tools/ssm-plugin"
pin=$(sed -n 's#^\(require \)\{0,1\}\s*github.com/aws/session-manager-plugin \(v[^ ]*\)$#\2#p' "$module_dir/go.mod" | head -n1)
[ -n "$pin" ] || die "tools/ssm-plugin/go.mod does not pin github.com/aws/session-manager-plugin"

cache=${PULUMI_SESSIONS_SSM_PLUGIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sessions/ssm-plugin}/$pin
bin=$cache/bin
plugin=$bin/session-manager-plugin
# The binary is rebuilt whenever the wrapper module's pins change.
pins_hash=$(cat "$module_dir/go.mod" "$module_dir/go.sum" | sha256sum | cut -c1-16)

if [ -x "$plugin" ] && [ "$(cat "$bin/.pins" 2>/dev/null)" = "$pins_hash" ] && "$plugin" --version >/dev/null 2>&1; then
  say "ready: session-manager-plugin $("$plugin" --version) in $bin"
  echo "$bin"
  exit 0
fi

command -v go >/dev/null 2>&1 ||
  die "Go is required to build the AWS Session Manager plugin. Install Go >= 1.25 (https://go.dev/dl)."
mkdir -p "$bin"
say "building session-manager-plugin ($pin) from the Go module proxy into $cache"
start=$(date +%s)
(cd "$module_dir" && env GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly \
  go build -trimpath -ldflags "-s -w" -o "$plugin.tmp" \
  github.com/aws/session-manager-plugin/src/sessionmanagerplugin-main)
mv -f "$plugin.tmp" "$plugin"
echo "$pins_hash" >"$bin/.pins"
say "built session-manager-plugin $("$plugin" --version) in $(($(date +%s) - start))s"
echo "$bin"

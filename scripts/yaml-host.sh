#!/usr/bin/env bash
# Makes the Pulumi YAML language host (pulumi-language-yaml) available offline and prints
# its bin folder on the last line of stdout (progress goes to stderr). Built from the Go
# module proxy through the wrapper module tools/yaml-host (its go.sum pins every module),
# into a per-version cache outside the repo, like scripts/engine.sh. Idempotent.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { printf 'yaml-host: %s\n' "$*" >&2; }
die() { printf 'yaml-host: error: %s\n' "$*" >&2; exit 1; }

module="$repo/tools/yaml-host"
version=$(sed -n 's#^require github.com/pulumi/pulumi-yaml v\([0-9.]*\)$#\1#p' "$module/go.mod")
[ -n "$version" ] || die "tools/yaml-host/go.mod does not pin github.com/pulumi/pulumi-yaml"

cache=${PULUMI_SESSIONS_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sessions/engine}/yaml-v$version
bin=$cache/bin
mkdir -p "$bin"
hash=$(cat "$module/go.mod" "$module/go.sum" | sha256sum | cut -c1-16)

if [ ! -x "$bin/pulumi-language-yaml" ] || [ "$(cat "$bin/.hash" 2>/dev/null)" != "$hash" ]; then
  command -v go >/dev/null 2>&1 || die "Go >= 1.25 is required to build pulumi-language-yaml v$version (https://go.dev/dl)"
  say "building pulumi-language-yaml v$version from the Go module proxy into $cache (first time: a few minutes)"
  start=$(date +%s)
  (cd "$module" && env GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=v$version" \
    -o "$bin/pulumi-language-yaml.tmp" github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml)
  mv -f "$bin/pulumi-language-yaml.tmp" "$bin/pulumi-language-yaml"
  echo "$hash" >"$bin/.hash"
  say "built pulumi-language-yaml v$version in $(($(date +%s) - start))s"
fi

say "ready: pulumi-language-yaml v$version in $bin"
echo "$bin"

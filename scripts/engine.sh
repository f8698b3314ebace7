#!/usr/bin/env bash
# Makes a real Pulumi engine available offline and prints its bin folder on the
# last line of stdout (progress goes to stderr):
#   pulumi                          the CLI, same version as @pulumi/pulumi in package-lock.json
#   pulumi-language-nodejs          the Node.js language host (tools/engine/langhost)
#   pulumi-resource-pulumi-nodejs   the dynamic provider plugin shipped in @pulumi/pulumi
# Uses `pulumi` from PATH when its version matches; otherwise builds the CLI from
# the published Go modules into a per-version cache outside the repo.
# Idempotent: a second run with nothing changed only checks and prints.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
module="$repo/tools/engine"
say() { printf 'engine: %s\n' "$*" >&2; }
die() { printf 'engine: error: %s\n' "$*" >&2; exit 1; }

[ -f "$repo/package-lock.json" ] || die "package-lock.json is missing: run 'npm install' first"
version=$(node -p "require('$repo/package-lock.json').packages['node_modules/@pulumi/pulumi'].version")
[ -n "$version" ] && [ "$version" != undefined ] || die "@pulumi/pulumi is not in package-lock.json"
gomod_version=$(sed -n 's#^\s*github.com/pulumi/pulumi/pkg/v3 v\([0-9.]*\)$#\1#p' "$module/go.mod")
[ "$gomod_version" = "$version" ] ||
  die "tools/engine/go.mod pins the CLI at $gomod_version but package-lock.json has @pulumi/pulumi $version; update tools/engine/go.mod (github.com/pulumi/pulumi/pkg/v3 and sdk/v3) to v$version and run 'go mod tidy' in tools/engine/"

cache=${PULUMI_SESSIONS_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sessions/engine}/v$version
bin=$cache/bin
mkdir -p "$bin"

dynamic_plugin="$repo/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
[ -x "$dynamic_plugin" ] || die "$dynamic_plugin is missing: run 'npm install' first"
install -m 0755 "$dynamic_plugin" "$bin/pulumi-resource-pulumi-nodejs"

# The language host is ours: rebuild it whenever its source or the pins change.
langhost_hash=$(cat "$module/go.mod" "$module/go.sum" "$module/langhost/"*.go | sha256sum | cut -c1-16)

need_go() {
  command -v go >/dev/null 2>&1 ||
    die "Go is required to build the Pulumi engine offline (no 'pulumi' $version on PATH). Install Go >= 1.25 (https://go.dev/dl) or put pulumi v$version on PATH."
}
go_env=(env GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly)

if [ ! -x "$bin/pulumi" ] || [ "$("$bin/pulumi" version 2>/dev/null)" != "v$version" ]; then
  path_pulumi=$(command -v pulumi 2>/dev/null || true)
  if [ -n "$path_pulumi" ] && [ "$(cd / && "$path_pulumi" version 2>/dev/null)" = "v$version" ]; then
    say "using pulumi v$version from $path_pulumi"
    ln -sf "$path_pulumi" "$bin/pulumi"
  else
    need_go
    say "building the Pulumi CLI v$version from the Go module proxy into $cache (first time: several minutes)"
    say "step 1/2: go mod download (about 2 GB of modules)"
    (cd "$module" && "${go_env[@]}" go mod download -x 2>&1 | awk '/^# get .*200/{n++; if (n%100==0) printf "engine:   %d modules fetched\n", n > "/dev/stderr"}')
    say "step 2/2: go build github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
    start=$(date +%s)
    (cd "$module" && "${go_env[@]}" go build -trimpath -tags osusergo,grpcnotrace \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
      -o "$bin/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
    mv -f "$bin/pulumi.tmp" "$bin/pulumi"
    say "built pulumi v$version in $(($(date +%s) - start))s"
  fi
fi

if [ ! -x "$bin/pulumi-language-nodejs" ] || [ "$(cat "$bin/.langhost" 2>/dev/null)" != "$langhost_hash" ]; then
  need_go
  say "building pulumi-language-nodejs (tools/engine/langhost)"
  (cd "$module" && "${go_env[@]}" go build -trimpath -ldflags "-s -w -X main.version=$version" \
    -o "$bin/pulumi-language-nodejs.tmp" ./langhost)
  mv -f "$bin/pulumi-language-nodejs.tmp" "$bin/pulumi-language-nodejs"
  echo "$langhost_hash" >"$bin/.langhost"
fi

say "ready: $("$bin/pulumi" version) in $bin"
echo "$bin"

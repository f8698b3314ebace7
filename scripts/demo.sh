#!/usr/bin/env bash
# The demo: a real `pulumi preview`, `up`, `refresh` and `destroy` on a private,
# throw-away backend, so it never touches the user's own Pulumi state.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export ALIBABA_CLOUD_ECS_METADATA_DISABLED=true AWS_EC2_METADATA_DISABLED=true

stage() { printf '\n==> %s\n' "$*"; }
trap 'rc=$?; [ $rc -eq 0 ] || printf "\ndemo: failed during stage: %s (exit %d)\n" "$current" "$rc" >&2' EXIT
current="engine"; stage "making the Pulumi engine available (first run builds it: several minutes)"
bin=$(bash scripts/engine.sh)
current="build"; stage "building and installing pulumi-sessions into node_modules"
bash scripts/install-local.sh

mkdir -p .work
# Inside the repo, so the program resolves node_modules (and so pulumi-sessions) as a user's would.
work=$(mktemp -d "$repo/.work/demo.XXXXXX")
cleanup_work() { rm -rf "$work"; }
trap 'rc=$?; cleanup_work; [ $rc -eq 0 ] || printf "\ndemo: failed during stage: %s (exit %d)\n" "$current" "$rc" >&2' EXIT
program=$work/program
mkdir -p "$work/home" "$work/state" "$work/notes"
cp -r test/e2e/programs/fixture "$program"
export PATH="$bin:$PATH" PULUMI_HOME="$work/home" PULUMI_BACKEND_URL="file://$work/state" \
  PULUMI_CONFIG_PASSPHRASE=demo PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
cd "$program"

current="stack init"; stage "pulumi stack init demo ($(pulumi version))"
pulumi stack init demo --non-interactive
pulumi config set fixture:dir "$work/notes"
pulumi config set --secret fixture:token demo-secret
current="preview"; stage "pulumi preview"
pulumi preview --non-interactive
current="up"; stage "pulumi up"
pulumi up --yes --skip-preview --non-interactive
pulumi stack output
current="refresh"; stage "pulumi refresh"
pulumi refresh --yes --skip-preview --non-interactive
current="destroy"; stage "pulumi destroy"
pulumi destroy --yes --skip-preview --non-interactive
current="done"; stage "demo finished: everything created was destroyed"

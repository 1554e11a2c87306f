#!/usr/bin/env bash
# `make demo`: the RFC 013 flow on a local AWS emulator, through Terraform.
#   1. start a moto server on loopback (stopped again at the end)
#   2. apply terraform/store (tables + GSIs + the project's namespace policies)
#   3. publish the RFC's example images, create a release
#   4. deploy it to stage:   make deploy ENV=stage RELEASE=<id>  (terraform apply of terraform/environment)
#   5. promote stage -> prod: make promote FROM=stage TO=prod
#   6. print the releases row, the deployments rows and the SSM keys
# Terraform state goes to a temporary folder removed at the end: the emulator stops with the
# demo, so that state would describe nothing (and a real state elsewhere is never touched).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${EMULATOR_PORT:-4566}"
DEMO_DIR="${DEMO_DIR:-$PWD/.demo}"
PY="$PWD/.venv/bin/python"
TRACKER="$PWD/.venv/bin/tracker"

export AWS_ENDPOINT_URL="http://127.0.0.1:${PORT}"
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo
export AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=eu-west-1
unset AWS_PROFILE
export TRACKER_PROJECT_FILE="$PWD/examples/bugfarm/.wellcome_project"
STATE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tracker-demo-state.XXXXXX")
MAKE_DEMO=(make --no-print-directory "STATE_DIR=$STATE_DIR" "TF_DIR=${TF_DIR:-terraform}")

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

"$PY" -m tests.support.emulator start --port "$PORT" --state "$DEMO_DIR"
trap '"$PY" -m tests.support.emulator stop --state "$DEMO_DIR"; rm -rf "$STATE_DIR"' EXIT

step "terraform apply terraform/store (tables, GSIs, namespace policies)"
"${MAKE_DEMO[@]}" store

step "CI publishes the RFC's example images"
TRACKER_USER=dev_dave "${MAKE_DEMO[@]}" publish SERVICE=hatching IMAGE=http://example.com/images/hatching/00001
TRACKER_USER=dev_dave "${MAKE_DEMO[@]}" publish SERVICE=feeding IMAGE=http://example.com/images/feeding/00001

step "tracker release create"
RELEASE=$("$TRACKER" release create --label latest --description "Some stuff wot I did." \
  --user dev_dave --user-name "Dave Dollop" --quiet)
echo "release_id = $RELEASE"

step "make deploy ENV=stage RELEASE=$RELEASE  (terraform apply -var release_id=...)"
"${MAKE_DEMO[@]}" deploy ENV=stage RELEASE="$RELEASE" REQUESTED_BY=ops_ophelia \
  REQUESTED_BY_NAME="Ophelia Oppenheimer" DESCRIPTION="Some stuff wot dave did for testing."

step "make promote FROM=stage TO=prod"
"${MAKE_DEMO[@]}" promote FROM=stage TO=prod REQUESTED_BY=ops_ophelia \
  REQUESTED_BY_NAME="Ophelia Oppenheimer" DESCRIPTION="Some stuff wot dave did for releasing."

step "Result"
"$PY" scripts/show_state.py

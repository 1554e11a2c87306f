#!/usr/bin/env bash
# `make demo`: the RFC 013 flow on a local AWS emulator, through Terraform.
#   1. start a moto server on loopback (stopped again at the end, or by `make down`)
#   2. apply terraform/store (tables + GSIs + the project's namespace policies)
#   3. publish the RFC's example images, create a release
#   4. deploy it to stage with `terraform apply -var release_id=...`
#   5. promote stage -> prod with `make promote`
#   6. print the releases row, the deployments rows and the SSM keys
# State goes to a Terraform workspace named "demo" (TF_WORKSPACE), so a real
# default-workspace state in the same checkout is never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${EMULATOR_PORT:-4566}"
PY="$PWD/.venv/bin/python"
TRACKER="$PWD/.venv/bin/tracker"

export AWS_ENDPOINT_URL="http://127.0.0.1:${PORT}"
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo
export AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=eu-west-1
unset AWS_PROFILE
export TF_WORKSPACE=demo
export TRACKER_PROJECT_FILE="$PWD/examples/bugfarm/.wellcome_project"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

"$PY" scripts/emulator.py start --port "$PORT"
trap '"$PY" scripts/emulator.py stop' EXIT

for root in terraform/store terraform/environments/stage terraform/environments/prod; do
  rm -rf "$root/terraform.tfstate.d/demo"
  mkdir -p "$root/terraform.tfstate.d/demo"   # the workspace exists once its folder does
done

step "terraform apply terraform/store (tables, GSIs, namespace policies)"
make --no-print-directory store

step "CI publishes the RFC's example images"
TRACKER_USER=dev_dave make --no-print-directory publish SERVICE=hatching IMAGE=http://example.com/images/hatching/00001
TRACKER_USER=dev_dave make --no-print-directory publish SERVICE=feeding IMAGE=http://example.com/images/feeding/00001

step "tracker release create"
RELEASE=$("$TRACKER" release create --label latest --description "Some stuff wot I did." \
  --user dev_dave --user-name "Dave Dollop" --output json \
  | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["release_id"])')
echo "release_id = $RELEASE"

step "terraform apply -var release_id=$RELEASE (stage)"
terraform -chdir=terraform/environments/stage init -input=false >/dev/null
terraform -chdir=terraform/environments/stage apply -auto-approve -input=false \
  -var "release_id=$RELEASE" \
  -var "requested_by=ops_ophelia" -var "requested_by_name=Ophelia Oppenheimer" \
  -var "description=Some stuff wot dave did for testing."

step "make promote FROM=stage TO=prod"
make --no-print-directory promote FROM=stage TO=prod REQUESTED_BY=ops_ophelia \
  REQUESTED_BY_NAME="Ophelia Oppenheimer" DESCRIPTION="Some stuff wot dave did for releasing."

step "Result"
"$PY" scripts/show_state.py

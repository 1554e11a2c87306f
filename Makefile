# Release & deployment tracking (RFC 013). `make help` lists the targets.
# Every target that needs the virtualenv sets it up first, once (the stamp
# file below), so `make demo` and `make test` work as the first command of a
# fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
VENV_BIN := $(abspath $(VENV))/bin
PY := $(VENV_BIN)/python
TRACKER := $(VENV_BIN)/tracker
SETUP_DONE := $(abspath $(VENV))/.setup-done
PROJECT_FILE ?= $(or $(TRACKER_PROJECT_FILE),examples/bugfarm/.wellcome_project)
# Roots: terraform/environment deploys any environment of any project;
# terraform/store provisions the tables. TF_DIR lets a copy of terraform/ stand in.
TF_DIR ?= terraform
ROOT ?= $(TF_DIR)/environment
# Terraform state and data directories, one per project and environment.
STATE_DIR ?= $(CURDIR)/.tracker-state
EMULATOR_PORT ?= 4566
DEMO_DIR ?= $(CURDIR)/.demo

# Offline: `make setup` writes .terraformrc (provider mirror + the external
# stand-in). With internet access it is not written and Terraform uses the registry.
ifneq ($(wildcard $(CURDIR)/.terraformrc),)
export TF_CLI_CONFIG_FILE := $(CURDIR)/.terraformrc
endif
export TF_IN_AUTOMATION := 1
# Errors' hints name make's variables (FORCE=1, make store PROJECT=...), not the CLI's flags.
export TRACKER_INTERFACE := make
export TF_VAR_local_emulator := $(if $(AWS_ENDPOINT_URL),true,false)
export TRACKER_PROJECT_FILE := $(abspath $(PROJECT_FILE))
# Which project of a manifest holding several (weco-deploy's YAML): PROJECT=shop.
override PROJECT := $(value PROJECT)
export TRACKER_PROJECT := $(or $(PROJECT),$(TRACKER_PROJECT))
export TRACKER_STATE_DIR := $(abspath $(STATE_DIR))
# Terraform's programs run `tracker` from PATH: this repository's.
export PATH := $(VENV_BIN):$(PATH)
# User-supplied values reach recipes as environment variables ("$$DESCRIPTION"),
# never pasted into the shell command line, and $(value ...) stops make itself
# from expanding them: quotes, `...` and $(...) stay text.
LABEL ?= latest
USER_VARS := SERVICE IMAGE LABEL DESCRIPTION ENV RELEASE FROM TO REQUESTED_BY REQUESTED_BY_NAME FORCE REASON UNTIL OUT REVOKE \
	WAIT TIMEOUT BAKE ROLLBACK_ON_FAILURE REVISION SINCE UNTIL_DATE BY FORMAT
$(foreach v,$(USER_VARS),$(eval override $(v) := $$(value $(v))))
export $(USER_VARS)
WHO := --user "$$REQUESTED_BY" --user-name "$$REQUESTED_BY_NAME" --description "$$DESCRIPTION"
# After make deploy/promote: wait until ECS runs the deployment (tracker wait), when the project has
# ECS services there (--skip-without-services: none declared or tagged -> say so, exit 0). WAIT=0 skips.
WAIT_FOR = $(TRACKER) wait --skip-without-services $${TIMEOUT:+--timeout "$$TIMEOUT"} $${BAKE:+--bake "$$BAKE"} \
	$${ROLLBACK_ON_FAILURE:+--rollback-on-failure} $${FORCE:+--force} $(WHO)

TF_ROOTS := terraform/store terraform/environment
TF_MODULES := modules/tracking-store modules/ssm-namespace modules/release-deployment \
	modules/deployed-images modules/deployed-images/examples/basic
PY_DIRS := tracker scripts tests bench

.PHONY: help setup test test-fast lock docs lint fmt store publish release plan deploy promote status metrics demo down emulator \
	freeze unfreeze approve pending \
	bench bench-smoke report reliability image base-image

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: $(SETUP_DONE) ## Create .venv from the lock file (exact versions), the offline Terraform config (once; `make -B setup` redoes it).

# requirements/dev.lock pins every package (the package's own dependencies and the dev tools) to
# an exact version and its hashes; `make lock` refreshes it. The package itself is installed
# editable on top, without dependencies (they are all in the lock).
LOCK := requirements/dev.lock
$(SETUP_DONE): pyproject.toml $(LOCK) tests/support/offline_terraform.py tests/support/external_provider.py
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@# Debian's chromium renders the HTML report in tests (needs root or sudo for apt).
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
		|| echo "setup: could not install chromium (needs root); tests/emulator/test_report.py will fail until it is"
	@# podman builds and opens the container image in tests (make image); debootstrap makes its
	@# base where no registry can be reached (tests/support/base_image.py). Needs root for apt.
	@command -v podman >/dev/null && command -v debootstrap >/dev/null || { apt-get update -qq && \
		apt-get install -y -qq podman debootstrap >/dev/null; } \
		|| echo "setup: could not install podman and debootstrap (needs root); tests/container will fail until they are"
	@# Offline only; with internet access Terraform uses the registry and this may fail harmlessly.
	$(PY) tests/support/offline_terraform.py --python $(PY) --out $(CURDIR)/.terraformrc \
		|| echo "setup: no offline provider mirror here; Terraform will use the registry"
	touch $@

test: $(SETUP_DONE) ## Run the whole test suite (starts its own moto server; runs real terraform).
	$(PY) -m pytest

test-fast: $(SETUP_DONE) ## The fast tier: unit tests only, no emulator and no terraform (seconds).
	$(PY) -m pytest tests/unit

lock: ## Refresh requirements/dev.lock to the newest versions pyproject.toml allows (pip-tools), then `make -B setup`.
	@set -e; tools=$$(mktemp -d); trap 'rm -rf "$$tools"' EXIT; \
	python3 -m venv "$$tools"; "$$tools/bin/pip" install --quiet pip-tools; \
	"$$tools/bin/pip-compile" --quiet --upgrade --extra dev --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links --output-file $(LOCK) pyproject.toml
	@echo "lock: $(LOCK) refreshed; run \`make -B setup\` to install it"

docs: $(SETUP_DONE) ## Regenerate the modules' README input/output tables from their .tf files.
	$(PY) scripts/module_docs.py

lint: $(SETUP_DONE) ## ruff, mypy, terraform fmt and validate of every module and root.
	$(VENV_BIN)/ruff check $(PY_DIRS)
	$(VENV_BIN)/ruff format --check $(PY_DIRS)
	$(VENV_BIN)/mypy
	terraform fmt -check -recursive modules terraform bench
	@for dir in $(TF_MODULES) $(TF_ROOTS); do \
		echo "terraform validate $$dir"; \
		data=$(CURDIR)/.terraform-offline/validate/$$dir; \
		TF_DATA_DIR=$$data terraform -chdir=$$dir init -backend=false -input=false >/dev/null && \
		TF_DATA_DIR=$$data terraform -chdir=$$dir validate -no-color || exit 1; \
	done

fmt: $(SETUP_DONE) ## Format Python and Terraform.
	$(VENV_BIN)/ruff format $(PY_DIRS)
	$(VENV_BIN)/ruff check --fix $(PY_DIRS)
	terraform fmt -recursive modules terraform bench

store: $(SETUP_DONE) ## Apply terraform/store: the tracking tables (in the project's account and region) and its policies.
	@set -e; vars=$$(mktemp --suffix=.tfvars.json); trap 'rm -f "$$vars"' EXIT; \
	$(TRACKER) projects --output tfvars > "$$vars"; \
	state=$(TRACKER_STATE_DIR)/store/$$($(PY) -c 'import json,sys; print(json.load(open(sys.argv[1]))["project_id"])' "$$vars"); \
	mkdir -p "$$state"; export TF_DATA_DIR="$$state/.terraform"; \
	terraform -chdir=$(TF_DIR)/store init -input=false -backend-config=path="$$state/terraform.tfstate" >/dev/null; \
	terraform -chdir=$(TF_DIR)/store apply -auto-approve -input=false -var-file="$$vars"

publish: $(SETUP_DONE) ## Publish an image: make publish SERVICE=hatching IMAGE=uri [LABEL=latest] [REVISION=sha]
	@test -n "$$SERVICE" -a -n "$$IMAGE" || { echo "usage: make publish SERVICE=id IMAGE=uri [LABEL=latest] [REVISION=sha]" >&2; exit 2; }
	$(TRACKER) publish "$$SERVICE" "$$IMAGE" --label "$$LABEL" $${REVISION:+--revision "$$REVISION"}

release: $(SETUP_DONE) ## Create a release from a label: make release [LABEL=latest] [DESCRIPTION=...]
	$(TRACKER) release create --label "$$LABEL" --description "$$DESCRIPTION"

plan: $(SETUP_DONE) ## What deploy would do, changing nothing: make plan ENV=prod [RELEASE=<id|prefix|latest>]
	@test -n "$$ENV" || { echo "usage: make plan ENV=prod [RELEASE=<id|prefix|latest>]" >&2; exit 2; }
	$(TRACKER) terraform plan $${RELEASE:+"$$RELEASE"} "$$ENV" --root $(ROOT) $(WHO)

deploy: $(SETUP_DONE) ## Deploy through Terraform, then wait for ECS: make deploy ENV=stage RELEASE=<id|prefix|latest> [FORCE=1 DESCRIPTION=why] [WAIT=0] [TIMEOUT=15m BAKE=5m ROLLBACK_ON_FAILURE=1]
	@test -n "$$ENV" -a -n "$$RELEASE" || { echo "usage: make deploy ENV=stage RELEASE=<id|prefix|latest>" >&2; exit 2; }
	$(TRACKER) terraform deploy "$$RELEASE" "$$ENV" --root $(ROOT) $(WHO) $${FORCE:+--force}
	@if [ "$${WAIT:-1}" != 0 ]; then $(WAIT_FOR) "$$ENV"; fi

promote: $(SETUP_DONE) ## Promote through Terraform, then wait for ECS: make promote FROM=stage TO=prod [FORCE=1 DESCRIPTION=why] [WAIT=0 ...]
	@test -n "$$FROM" -a -n "$$TO" || { echo "usage: make promote FROM=stage TO=prod" >&2; exit 2; }
	$(TRACKER) terraform promote "$$FROM" "$$TO" --root $(ROOT) $(WHO) $${FORCE:+--force}
	@if [ "$${WAIT:-1}" != 0 ]; then $(WAIT_FOR) "$$TO"; fi

approve: $(SETUP_DONE) ## Approve a release for an environment's policy: make approve RELEASE=<id|prefix|latest> ENV=prod [DESCRIPTION=why] [REVOKE=1]
	@test -n "$$ENV" -a -n "$$RELEASE" || { echo "usage: make approve RELEASE=<id|prefix|latest> ENV=prod [DESCRIPTION=why] [REVOKE=1]" >&2; exit 2; }
	$(TRACKER) approve "$$RELEASE" "$$ENV" $(WHO) $${REVOKE:+--revoke}

status: $(SETUP_DONE) ## What runs where.
	$(TRACKER) status

freeze: $(SETUP_DONE) ## Freeze an environment: make freeze ENV=prod REASON="incident 42" [UNTIL=2026-12-01T09:00:00Z]
	@test -n "$$ENV" -a -n "$$REASON" || { echo "usage: make freeze ENV=prod REASON=text [UNTIL=iso8601]" >&2; exit 2; }
	$(TRACKER) freeze "$$ENV" --reason "$$REASON" $${UNTIL:+--until "$$UNTIL"} --user "$$REQUESTED_BY" --user-name "$$REQUESTED_BY_NAME"

unfreeze: $(SETUP_DONE) ## Lift an environment's freeze: make unfreeze ENV=prod [DESCRIPTION=why]
	@test -n "$$ENV" || { echo "usage: make unfreeze ENV=prod [DESCRIPTION=why]" >&2; exit 2; }
	$(TRACKER) unfreeze "$$ENV" $(WHO)

pending: $(SETUP_DONE) ## What waits to ship: make pending [ENV=prod] [LABEL=latest] (exit 1 when something waits)
	$(TRACKER) pending $${ENV:+"$$ENV"} --label "$$LABEL"

metrics: $(SETUP_DONE) ## DORA metrics: make metrics [ENV=prod|all] [SINCE=30d] [UNTIL_DATE=…] [BY=week|day] [FORMAT=text|json|csv]
	where=$$ENV; if [ "$$ENV" = all ]; then where=--all; fi; \
	$(TRACKER) metrics $${where:+"$$where"} --since "$${SINCE:-30d}" $${UNTIL_DATE:+--until "$$UNTIL_DATE"} --by "$${BY:-week}" --output "$${FORMAT:-text}"

report: $(SETUP_DONE) ## Write the HTML report of what runs where: make report [OUT=.reports/report.html]
	$(TRACKER) report -o "$${OUT:-.reports/report.html}"

# The container image: BASE_IMAGE (default: the Containerfile's python:3.11-slim), IMAGE_NAME,
# IMAGE_SOURCE, ENGINE (podman or docker), IMAGE_BUILD_FLAGS reach scripts/build-image.sh.
IMAGE_NAME ?= release-tracker
export BASE_IMAGE IMAGE_NAME IMAGE_SOURCE ENGINE
# Exported only when given (even empty): unset, the script's default flags apply.
ifneq ($(origin IMAGE_BUILD_FLAGS),undefined)
export IMAGE_BUILD_FLAGS
endif

image: $(SETUP_DONE) ## Build the container image release-tracker:latest and :<version> (podman or docker): make image [BASE_IMAGE=...]
	PY=$(PY) bash scripts/build-image.sh

base-image: $(SETUP_DONE) ## No registry reachable? A Debian base with Python 3.11 for make image BASE_IMAGE=localhost/tracker-base:bookworm (root, podman, debootstrap).
	$(PY) -m tests.support.base_image

reliability: $(SETUP_DONE) ## Run the reliability tests and write docs/reliability.md from their results.
	mkdir -p $(DEMO_DIR)
	@# The report is written whatever the result, then a failed test fails the target.
	@status=0; $(PY) -m pytest -q -o junit_family=legacy --junitxml=$(DEMO_DIR)/reliability.xml \
		tests/unit tests/emulator tests/container tests/terraform/test_modules.py tests/terraform/test_policies.py \
		|| status=$$?; \
	$(PY) scripts/reliability_report.py $(DEMO_DIR)/reliability.xml docs/reliability.md || exit $$?; \
	exit $$status

bench: $(SETUP_DONE) ## Benchmarks against a local moto server (a few minutes): docs/benchmarks.md and .json.
	$(PY) bench/run.py --out-md docs/benchmarks.md --out-json docs/benchmarks.json

bench-smoke: $(SETUP_DONE) ## A tiny run of every benchmark section (< 1 minute; also part of make test).
	$(PY) bench/run.py --smoke

emulator: $(SETUP_DONE) ## Start the local AWS emulator (moto server on 127.0.0.1:$(EMULATOR_PORT)).
	$(PY) -m tests.support.emulator start --port $(EMULATOR_PORT) --state $(DEMO_DIR)

down: $(SETUP_DONE) ## Stop the local AWS emulator.
	$(PY) -m tests.support.emulator stop --state $(DEMO_DIR)

demo: $(SETUP_DONE) ## The whole RFC flow on a local emulator, through Terraform and make promote.
	EMULATOR_PORT=$(EMULATOR_PORT) DEMO_DIR=$(DEMO_DIR) TF_DIR=$(TF_DIR) bash scripts/demo.sh

# Release & deployment tracking (RFC 013). `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(CURDIR)/$(VENV)/bin/python
TRACKER := $(CURDIR)/$(VENV)/bin/tracker
PROJECT_FILE ?= $(or $(TRACKER_PROJECT_FILE),examples/bugfarm/.wellcome_project)
EMULATOR_PORT ?= 4566

# Offline: `make setup` writes .terraformrc (provider mirror + the external
# stand-in). With internet access it is not written and Terraform uses the registry.
ifneq ($(wildcard $(CURDIR)/.terraformrc),)
export TF_CLI_CONFIG_FILE := $(CURDIR)/.terraformrc
endif
export TF_IN_AUTOMATION := 1
export TF_VAR_python := $(PY)
export TF_VAR_local_emulator := $(if $(AWS_ENDPOINT_URL),true,false)
export TRACKER_PROJECT_FILE := $(abspath $(PROJECT_FILE))
# User-supplied values reach recipes as environment variables ("$$DESCRIPTION"),
# never pasted into the shell command line, and $(value ...) stops make itself
# from expanding them: quotes, `...` and $(...) stay text.
LABEL ?= latest
USER_VARS := SERVICE IMAGE LABEL DESCRIPTION ENV RELEASE FROM TO REQUESTED_BY REQUESTED_BY_NAME
$(foreach v,$(USER_VARS),$(eval override $(v) := $$(value $(v))))
export $(USER_VARS)

TF_ROOTS := terraform/store terraform/environments/stage terraform/environments/prod
TF_MODULES := modules/tracking-store modules/ssm-namespace modules/release-deployment \
	modules/deployed-images modules/deployed-images/examples/basic

.PHONY: help setup test lint fmt store publish release deploy promote status demo down emulator bench bench-smoke report reliability

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: ## Create .venv, install the package and dev tools, write the offline Terraform config.
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@# Debian's chromium renders the HTML report in tests (needs root or sudo for apt).
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
		|| echo "setup: could not install chromium (needs root); tests/test_report.py will fail until it is"
	@# Offline only; with internet access Terraform uses the registry and this may fail harmlessly.
	$(PY) scripts/terraform_offline.py --python $(PY) --out $(CURDIR)/.terraformrc \
		|| echo "setup: no offline provider mirror here; Terraform will use the registry"

test: ## Run the whole test suite (starts its own moto server; runs real terraform).
	$(PY) -m pytest

lint: ## ruff, mypy, terraform fmt and validate of every module and root.
	$(VENV)/bin/ruff check tracker scripts tests bench
	$(VENV)/bin/ruff format --check tracker scripts tests bench
	$(VENV)/bin/mypy
	terraform fmt -check -recursive modules terraform bench
	@for dir in $(TF_MODULES) $(TF_ROOTS); do \
		echo "terraform validate $$dir"; \
		TF_DATA_DIR=$(CURDIR)/.terraform-offline/validate/$$dir terraform -chdir=$$dir init -backend=false -input=false >/dev/null && \
		TF_DATA_DIR=$(CURDIR)/.terraform-offline/validate/$$dir terraform -chdir=$$dir validate -no-color || exit 1; \
	done

fmt: ## Format Python and Terraform.
	$(VENV)/bin/ruff format tracker scripts tests bench
	$(VENV)/bin/ruff check --fix tracker scripts tests bench
	terraform fmt -recursive modules terraform bench

store: ## Apply terraform/store: the tracking tables and the project's namespace policies.
	terraform -chdir=terraform/store init -input=false >/dev/null
	terraform -chdir=terraform/store apply -auto-approve -input=false -var project_file=$(TRACKER_PROJECT_FILE)

publish: ## Publish an image: make publish SERVICE=hatching IMAGE=uri [LABEL=latest]
	@test -n "$$SERVICE" -a -n "$$IMAGE" || { echo "usage: make publish SERVICE=id IMAGE=uri [LABEL=latest]" >&2; exit 2; }
	$(TRACKER) publish "$$SERVICE" "$$IMAGE" --label "$$LABEL"

release: ## Create a release from a label: make release [LABEL=latest] [DESCRIPTION=...]
	$(TRACKER) release create --label "$$LABEL" --description "$$DESCRIPTION"

deploy: ## Deploy through Terraform: make deploy ENV=stage RELEASE=<id|latest>
	@test -n "$$ENV" -a -n "$$RELEASE" || { echo "usage: make deploy ENV=stage RELEASE=<id|latest>" >&2; exit 2; }
	$(PY) scripts/terraform_deploy.py deploy "$$ENV" "$$RELEASE"

promote: ## Promote through Terraform: make promote FROM=stage TO=prod
	@test -n "$$FROM" -a -n "$$TO" || { echo "usage: make promote FROM=stage TO=prod" >&2; exit 2; }
	$(PY) scripts/terraform_deploy.py promote "$$FROM" "$$TO"

status: ## What runs where.
	$(TRACKER) status

reliability: ## Run the reliability tests and write docs/reliability.md from their results.
	mkdir -p .demo
	$(PY) -m pytest -q -o junit_family=legacy --junitxml=.demo/reliability.xml tests/test_concurrency.py tests/test_faults.py \
		tests/test_bad_input.py tests/test_properties.py tests/test_policies.py tests/test_cli.py \
		tests/test_terraform.py || true
	$(PY) scripts/reliability_report.py .demo/reliability.xml docs/reliability.md

bench: ## Benchmarks against a local moto server (a few minutes): docs/benchmarks.md and .json.
	$(PY) bench/run.py --out-md docs/benchmarks.md --out-json docs/benchmarks.json

bench-smoke: ## A tiny run of every benchmark section (< 1 minute; also part of make test).
	$(PY) bench/run.py --smoke

emulator: ## Start the local AWS emulator (moto server on 127.0.0.1:$(EMULATOR_PORT)).
	$(PY) scripts/emulator.py start --port $(EMULATOR_PORT)

down: ## Stop the local AWS emulator.
	$(PY) scripts/emulator.py stop

demo: ## The whole RFC flow on a local emulator, through Terraform and make promote.
	EMULATOR_PORT=$(EMULATOR_PORT) bash scripts/demo.sh

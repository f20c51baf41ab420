# Two commands set everything up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= data
SEED ?= 2018
export PROBATION_DATA_DIR ?= $(CURDIR)/$(DATA_DIR)
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: run test lint format ui install install-dev browser postgres office sample clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON) (Python 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# pip's output goes to a log, shown only when the install fails.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "Installing the project into $(VENV) (log: $(VENV)/install.log)"
	@$(BIN)/pip install --quiet -e '.[deploy]' > $(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; exit 1; }
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	@echo "Installing the project and its dev extras into $(VENV) (log: $(VENV)/install.log)"
	@$(BIN)/pip install --quiet -e '.[dev,deploy]' > $(VENV)/install.log 2>&1 || { cat $(VENV)/install.log; exit 1; }
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# The local instance settings (run queue, concurrency pool); rewritten when dagster-local.yaml changes.
# Another instance file there (deploy/dagster.yaml for Postgres, say) is left as it is.
$(DAGSTER_HOME)/dagster.yaml: dagster-local.yaml
	@mkdir -p $(DAGSTER_HOME)
	@if [ ! -e $@ ] || head -n 1 $@ | grep -q '^# The local Dagster instance'; then \
		cp dagster-local.yaml $@; else echo "Using the Dagster instance $@"; fi

## run: materialise every asset on the shipped sample and write the publication
run: install $(DAGSTER_HOME)/dagster.yaml
	@$(BIN)/python -m probation_pipeline.materialize

## ui: the Dagster UI on the same DAGSTER_HOME (http://127.0.0.1:3000)
ui: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

## browser: headless Chromium for the report rendering test, where apt can install it
browser:
	@command -v chromium >/dev/null || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-liberation >/dev/null) \
		|| echo "chromium not installed: the report rendering test will be skipped"; }

## postgres: Debian's PostgreSQL server binaries (initdb, pg_ctl) for the deployment tests
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || \
		{ command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
			install -y -qq postgresql >/dev/null) \
		|| echo "postgresql not installed: the Postgres deployment tests will be skipped"; }

## office: LibreOffice Calc (no GUI), to convert the ODS headless in the tests, where apt can
office:
	@command -v soffice >/dev/null || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
		(apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
		libreoffice-calc-nogui >/dev/null) \
		|| echo "LibreOffice not installed: the ODS conversion test will be skipped"; }

lint: install-dev $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/dg check defs >/dev/null

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## test: lint, then the whole test suite (the end-to-end tests run on temporary data dirs)
test: install-dev browser postgres office lint
	$(BIN)/pytest -q

## sample: regenerate the shipped calibrated sample in data/raw
sample: install
	$(BIN)/python -m probation_pipeline.sample calibrated --out $(DATA_DIR)/raw --seed $(SEED)
	$(BIN)/python -m probation_pipeline.publish.synthetic $(DATA_DIR)/raw > $(DATA_DIR)/reference/synthetic_sample.csv

clean:
	rm -rf $(DATA_DIR)/warehouse $(DATA_DIR)/published $(DAGSTER_HOME)

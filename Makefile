# Everything installs what it needs: a .venv from the pinned pyproject.toml.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO := demo_corpus
WAREHOUSE := var/warehouse.duckdb
export DO_NOT_TRACK := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test setup redis chromium review demo bench accuracy truth docs dev clean

## Bytecode is compiled at install: PYTHONDONTWRITEBYTECODE (set below, and often in CI) would
## otherwise make every process compile dbt, Dagster and GX from source (dbt starts in 2.7 s instead
## of 1.5 s, GX imports in 5.9 s instead of 2.6 s).
## make run: install, generate the demo corpus if absent or made by an older generator, run the
## nightly job on it (a regenerated document is a new version of its report for the warehouse)
run: setup $(DEMO)/.generated
	$(PY) -m pipelines run --create --landing $(DEMO) --warehouse $(WAREHOUSE)

## make test: install, run the test suite (real PDFs from ../shared/corpus, demo PDFs, real dbt/GX/Dagster)
test: setup redis chromium
	$(PY) -m pytest -q

setup: $(STAMP)

## redis-server for the Celery executor test (Debian package; the test is skipped without it)
redis:
	@command -v redis-server >/dev/null || (apt-get update -qq && apt-get install -y -qq redis-server) \
		|| echo "redis-server not installed: tests/test_celery_executor.py will be skipped"

## chromium for the review site's browser test (Debian package, driven by Playwright's Python API with
## executable_path; Playwright's own browser download is never used; the test is skipped without it)
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium) \
		|| echo "chromium not installed: the browser test of tests/test_review_site.py will be skipped"

## make review: the steward review site over the published warehouse of `make run`
## (http://127.0.0.1:8040/; HOST=0.0.0.0 needs a users file: python -m pipelines review adduser NAME)
HOST ?= 127.0.0.1
PORT ?= 8040
review: setup
	$(PY) -m pipelines review serve --warehouse $(WAREHOUSE) --host $(HOST) --port $(PORT)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check uv==0.13.8
	$(VENV)/bin/uv pip install -q --compile-bytecode --python $(PY) -e '.[dev]'
	touch $(STAMP)

demo: $(DEMO)/.generated

DEMO_SOURCES := $(shell find demo -type f -not -path '*__pycache__*' -not -name '*.md')
$(DEMO)/.generated: $(DEMO_SOURCES) | setup
	rm -rf $(DEMO)
	$(PY) -m demo.generate --out $(DEMO)
	touch $@

## make dev: the Dagster UI on the same definitions (http://127.0.0.1:3000) and on the same
## Dagster instance as `make run` (DAGSTER_HOME = the data folder's dagster_home, see
## pipelines/instance.py): the CLI's nights are there with their runs, partitions and checks.
DAGSTER_HOME_DIR := $(CURDIR)/var/data/dagster_home
dev: setup
	mkdir -p $(DAGSTER_HOME_DIR) && { [ -f $(DAGSTER_HOME_DIR)/dagster.yaml ] || cp pipelines/dagster.yaml $(DAGSTER_HOME_DIR)/dagster.yaml; }
	DAGSTER_HOME=$(DAGSTER_HOME_DIR) FW_LANDING_DIR=$(CURDIR)/$(DEMO) FW_WAREHOUSE=$(CURDIR)/$(WAREHOUSE) \
		$(VENV)/bin/dagster dev -w workspace.yaml

## make docs: dbt docs (catalog of every model and column) into dbt_project/target
## (static_index.html opens offline). The catalog is read from a private copy of the published
## warehouse, or, before any run, from the dbt fixture built into that copy: the nightly run's
## working file is never opened, so docs and a running night never lock each other out.
DOCS_DB := $(CURDIR)/var/docs/warehouse.duckdb
docs: setup
	rm -rf var/docs && mkdir -p var/docs
	if [ -f $(WAREHOUSE) ]; then cp $(WAREHOUSE) $(DOCS_DB) && chmod u+w $(DOCS_DB); else \
		$(PY) dbt_project/tests_fixture/build_fixture.py $(DOCS_DB) && \
		cd dbt_project && FW_WORKING_DB=$(DOCS_DB) ../$(VENV)/bin/dbt seed --quiet --profiles-dir . && \
		FW_WORKING_DB=$(DOCS_DB) ../$(VENV)/bin/dbt run --quiet --profiles-dir . ; fi
	cd dbt_project && FW_WORKING_DB=$(DOCS_DB) ../$(VENV)/bin/dbt docs generate --static --profiles-dir .
	@echo "dbt docs: dbt_project/target/static_index.html (or: cd dbt_project && ../$(VENV)/bin/dbt docs serve --profiles-dir .)"

clean:
	rm -rf var $(DEMO) dbt_project/target dbt_project/logs

## make bench: the scaling curve (full run from an empty warehouse and nights of 10 and 1 new
## documents at each size of DOCS, the plain-parser baseline at the first; peak memory of every
## process) and the real corpus (../shared/corpus, each PDF REAL_REPEAT times with distinct bytes)
## against the baseline: bench/results/curve-*.json and .png. About 75 min on 2 cores for the
## default; DOCS=50,150 REAL_REPEAT=2 for a quick one (bench/run.py, docs/throughput.md)
DOCS ?= 1000,3000,10000
REAL_REPEAT ?= 10
bench: setup
	$(PY) -m bench.run --docs $(DOCS) --real-repeat $(REAL_REPEAT)

## make truth: the pipeline over every real final account of ../shared/corpus/final: per document the
## tables its 目录 lists against those found, parse coverage per table, failures and parser
## problems apart (also var/truth/truth.json). Not part of make test. FOLDERS="final budget" for both.
FOLDERS ?= final
truth: setup
	$(PY) -m tools.truth --folders $(FOLDERS)

## make accuracy: parse the golden documents (tests/golden/*.json) and print, per document and
## table, cells expected / found / wrong / extra; fails unless every table is 100%
accuracy: setup
	$(PY) -m ingest.accuracy

# Two commands on a fresh machine: `make serve` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed
DEMO_DATA := demo/data/.generated

.PHONY: install serve test services services-stop demo-data lint typecheck clean schema fuzz

install: $(INSTALLED) $(NODE_INSTALLED)

$(INSTALLED): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

# GraphiQL's scripts, pinned in package-lock.json, so the page works with no CDN.
$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

$(DEMO_DATA): $(INSTALLED) $(wildcard demo/generate.py demo/datagen/*.py demo/datagen/reference/* demo/products/*/product.yaml demo/products/*/contracts/*.yaml)
	$(PY) demo/generate.py

demo-data: $(DEMO_DATA)

# ENGINE=trino: PostgreSQL, MariaDB and the Trino cluster too, the demo loaded into them,
# and the gateway on both SQL engines (Trino the default). docs/demo.md.
ENGINE ?= duckdb
serve: install $(DEMO_DATA)
	$(PY) demo/mesh.py up --engine $(ENGINE)

services:
	bash scripts/services.sh up

services-stop:
	bash scripts/services.sh down

# Two pytest processes (pytest-xdist), each running whole test files: the suite waits on
# servers, subprocesses and Trino as much as it computes, so two share the 2 cores well
# (8.4 min instead of 15). TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
test: install services $(DEMO_DATA)
	bash scripts/trino.sh up
	bash scripts/chromium.sh
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The long fuzz run: 20,000 SQL statements, 2,000 GraphQL documents, every distinct failure
# collected (the shortest example of each); figures at the end and in .run/fuzz-report.json.
# MESHGATE_FUZZ_EXAMPLES=N sets the SQL count (GraphQL: N/10).
fuzz: install $(DEMO_DATA)
	HYPOTHESIS_PROFILE=long MESHGATE_FUZZ_COLLECT=1 $(PY) -m pytest tests/fuzz -k "not regression" $(PYTEST_ARGS)

lint:
	$(VENV)/bin/ruff check gateway schema resolvers contracts productkit tests demo bench

typecheck:
	$(VENV)/bin/mypy gateway schema resolvers contracts productkit

clean:
	rm -rf $(VENV) node_modules .run demo/data

# The committed SDL snapshot; tests/graph/test_sdl_snapshot.py fails when it is out of date.
schema: $(INSTALLED)
	$(PY) -m schema.sdl

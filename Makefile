# walled-gardens: `make all` runs every scenario (batch + report); `make test` runs the tests.
# On a fresh machine both set everything up: uv is bootstrapped into .tools/ when missing,
# Python 3.12 comes from the machine (UV_PYTHON_DOWNLOADS=never), packages from uv.lock.
# npm is needed only by `make viz` (and the browser tests), to vendor Solara's front-end files.

SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
RUN := $(UV) run --frozen
OUT ?= results
REPLICATIONS ?= 2
STEPS ?= 120
WORKERS ?= 2
# POSTERIOR=N: run every replication on N draws of calibration/posterior.csv (POSTERIOR= turns it off)
POSTERIOR ?= 10

.PHONY: all setup viz-assets test batch report bench bench-scale bench-batch viz clean

all: batch

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

# Solara's front-end assets, vendored from the npm registry so the viz works offline
SOLARA_ASSETS ?= .cache/solara-assets
SOLARA_MARKER := $(SOLARA_ASSETS)/@widgetti/solara-vuetify-app@10.1.1/.vendored

setup: $(UV)
	$(UV) sync --frozen

viz-assets: $(SOLARA_MARKER)

$(SOLARA_MARKER): scripts/vendor_solara_assets.sh
	bash scripts/vendor_solara_assets.sh $(SOLARA_ASSETS)
	touch $@

# common seeds: every scenario's replication r uses the same seed, so effects are paired
batch: setup
	$(RUN) walled-gardens batch scenarios/*.toml --replications $(REPLICATIONS) --steps $(STEPS) --workers $(WORKERS) --common-seeds $(if $(POSTERIOR),--posterior $(POSTERIOR)) --out $(OUT)

report: setup
	$(RUN) walled-gardens report $(OUT)

test: setup
	$(RUN) pytest -q

bench: setup
	$(RUN) python benchmarks/bench_model.py

bench-scale: setup
	$(RUN) python benchmarks/bench_scale.py

bench-batch: setup
	$(RUN) python benchmarks/bench_batch.py --replications 10 --json benchmarks/bench_batch.json

viz: setup viz-assets
	$(RUN) walled-gardens viz

clean:
	rm -rf $(OUT) .pytest_cache

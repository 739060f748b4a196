# TorchCompresser. Two commands on a fresh machine: `make demo` and `make test`.
# Each does its own set-up: .venv with pinned dependencies, and the engine in bin/cgp.

PYTHON_BOOTSTRAP ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
WARM_IMPORTS := import torch, torchvision, torch.ao.quantization, numpy, pandas, scipy.stats, tqdm, parse, dotenv, seaborn, scikit_posthocs, matplotlib.pyplot, pytest, compress.cli, compress.metrics

.PHONY: all install build test test-python test-engine lint format demo models bench fuzz clean

all: build

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON_BOOTSTRAP) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-compile -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-compile --no-deps -e .
	@# Byte-compile only what the toolkit imports (pip compiling all of torch costs ~1.5 min).
	env -u PYTHONDONTWRITEBYTECODE $(PY) -c "$(WARM_IMPORTS)"
	touch $@

## install: virtual environment, pinned dependencies and the engine
install: $(STAMP) build

## build: the CGP engine, bin/cgp
build:
	$(MAKE) -C cgp all

## test: cluster test tools (Slurm, munge, shellcheck; installed when missing, needs root),
## engine unit tests (plain and sanitized), lint, then every Python test
test: install
	bash scripts/slurm/install_deps.sh
	$(MAKE) -C cgp test
	$(MAKE) lint
	$(PY) -m pytest -q tests

lint: $(STAMP)
	$(VENV)/bin/ruff check compress cmd tests scripts bench
	$(VENV)/bin/ruff format --check compress cmd tests scripts bench

format: $(STAMP)
	$(VENV)/bin/ruff format compress cmd tests scripts bench
	$(VENV)/bin/ruff check --fix compress cmd tests scripts bench

## demo: the main job on the bundled data and model
demo: install
	$(PY) scripts/demo.py

## models: retrain the bundled LeNet-5 checkpoints from scratch (fixed seeds)
models: $(STAMP)
	$(PY) scripts/build_models.py

## bench: engine benchmark on cases built from the committed LeNet-5 checkpoint
bench: install
	$(PY) bench/engine_bench.py
	$(PY) bench/optimality_bench.py

## fuzz: libFuzzer targets for the engine's parsers (Debian clang)
fuzz:
	$(MAKE) -C cgp/fuzz run

clean:
	$(MAKE) -C cgp clean
	rm -rf bin obj

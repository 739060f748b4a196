# TorchCompresser. Two commands on a fresh machine: `make demo` and `make test`.
# Each does its own set-up: .venv with pinned dependencies, and the engine in bin/cgp.

PYTHON_BOOTSTRAP ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
WARM_IMPORTS := import torch, torchvision, torch.ao.quantization, numpy, pandas, scipy.stats, tqdm, parse, dotenv, seaborn, scikit_posthocs, matplotlib.pyplot, pytest, compress.cli, compress.metrics

.PHONY: all install build engine-description test test-python test-engine lint format demo models bench bench-statistics fuzz clean

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

## engine-description: the engine's self-description the Python side reads (commit the result)
engine-description: build
	bin/cgp describe --json > compress/engine/engine_description.json

## test: cluster and hardware test tools (Slurm, munge, shellcheck, iverilog, yosys, graphviz;
## installed when missing, needs root),
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

## models: retrain the bundled checkpoints from scratch (fixed seeds): LeNet-5 (float, QAT, PTQ)
## and the MNIST MobileNetV2 (QAT int8; the longest part, ~17 min on the loaded build machine)
models: $(STAMP)
	$(PY) scripts/build_models.py
	$(PY) scripts/build_mobilenet_mnist.py

## bench: engine benchmark on cases built from the committed LeNet-5 checkpoint, then
## export/simulation/synthesis times of 256 x 31 circuits and model-metrics' prefix sharing on the
## committed MobileNetV2
bench: install
	$(PY) bench/engine_bench.py
	$(PY) bench/circuit_bench.py
	$(PY) bench/prefix_sharing_bench.py
	$(PY) bench/optimality_bench.py

## bench-statistics: statistics size per minute with -e 0 on 256 x 31 (delta vs full chromosomes)
bench-statistics: install
	$(PY) bench/statistics_size.py

## fuzz: libFuzzer targets for the engine's parsers (Debian clang)
fuzz:
	$(MAKE) -C cgp/fuzz run

clean:
	$(MAKE) -C cgp clean
	rm -rf bin obj

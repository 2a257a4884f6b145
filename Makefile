# spmopt: the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
# every install is held to the versions tested together (see README, Development)
CONSTRAINTS := -c constraints.txt
OUT    ?= out

.PHONY: demo test lint typecheck pytest lab bench bench-quick bench-peers clean install install-dev

$(VENV)/bin/activate:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 or run 'make PYTHON=python3 ...'"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: $(VENV)/bin/activate pyproject.toml constraints.txt
	$(PIP) install --quiet $(CONSTRAINTS) -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml constraints.txt
	$(PIP) install --quiet $(CONSTRAINTS) -e ".[dev]"
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make demo: the annual planning example on data/example, outputs and HTML report in out/
demo: $(VENV)/.installed
	$(VENV)/bin/spmopt plan data/example --out $(OUT)

## make test: lint, type-check and the whole test suite (notebooks included)
test: $(VENV)/.installed-dev lint typecheck pytest

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check spmopt tests benchmarks
	$(VENV)/bin/ruff format --check spmopt tests benchmarks

typecheck: $(VENV)/.installed-dev
	$(VENV)/bin/mypy

pytest: $(VENV)/.installed-dev
	$(VENV)/bin/python -m pytest -n 2 --dist loadfile -q

## make lab: JupyterLab on notebooks/
lab: $(VENV)/.installed-dev
	$(PIP) install --quiet $(CONSTRAINTS) -e ".[lab]"
	$(VENV)/bin/jupyter lab notebooks/

## make bench: every benchmark (minutes; peers side by side); make bench-quick: small sizes
bench: $(VENV)/.installed-dev
	$(PIP) install --quiet $(CONSTRAINTS) -e ".[bench]"
	$(PY) -m benchmarks.run_all

bench-quick: $(VENV)/.installed-dev
	$(PIP) install --quiet $(CONSTRAINTS) -e ".[bench]"
	$(PY) -m benchmarks.run_all --quick

## make bench-peers: .venv-peers with statsforecast (pinned; it needs pandas < 3) for the
## forecast peers of `python -m benchmarks.forecast --accuracy`
bench-peers: .venv-peers/.installed

.venv-peers/.installed: benchmarks/peers-requirements.txt
	$(PYTHON) -m venv .venv-peers
	.venv-peers/bin/pip install --quiet -r benchmarks/peers-requirements.txt
	@touch $@

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache build *.egg-info

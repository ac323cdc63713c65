# Two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB := demo/demo.sqlite
# pytest-xdist: one worker per core, at most four (each worker loads its own models); PYTEST_WORKERS= runs in one
# process. On two cores the suite took 471-528 s against 861 s in one process.
PYTEST_WORKERS ?= -n auto --maxprocesses=4
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export STREAMLIT_BROWSER_GATHER_USAGE_STATS := false

.PHONY: install demo demo-build test typecheck lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, pinned: the CPU build on disk; an unpinned torch pulls a multi-GB GPU build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev,encryption]"
	touch $(STAMP)

install: $(STAMP)

demo-build: $(STAMP)
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	mkdir -p demo
	$(BIN)/qda --db sqlite:///$(DEMO_DB) demo

# The main job: the dashboard on the demo project, on this machine only (http://127.0.0.1:8501).
demo: demo-build
	QDA_DB=sqlite:///$(DEMO_DB) $(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port 8501 \
		--server.headless true --browser.gatherUsageStats false

test: $(STAMP)
	$(BIN)/ruff check .
	$(MAKE) --no-print-directory typecheck
	$(BIN)/python -m pytest -q $(PYTEST_WORKERS)

# mypy over the library; errors already listed in mypy-baseline.txt pass, any new one fails the build.
typecheck: $(STAMP)
	$(BIN)/mypy --no-error-summary | $(BIN)/mypy-baseline filter --allow-unsynced --no-colors

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/bench_import.py

clean:
	rm -rf $(VENV) demo .pytest_cache

# Two entry points, each creating .venv and installing what it needs on first use:
#   make compare   the main job: genlab compare on the embedded digits data
#   make test      the whole test suite
VENV   ?= .venv
PY     := $(VENV)/bin/python
# The CPU build on these machines; on a CUDA machine pip picks the matching CUDA wheel of this version.
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.genlab-installed
# Each test runs single-threaded (tests/conftest.py); TEST_WORKERS=2 runs two pytest-xdist workers, a test file on
# one worker (--dist loadfile: its module fixtures built once). Measured on 2 cores: 20.2 min against 22.6 min in one
# process, with subprocess tests running up to 7x longer under contention, so one process stays the default.
TEST_WORKERS ?= 0

.PHONY: compare test lint clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q $(TORCH)
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

compare: $(STAMP)
	$(VENV)/bin/genlab compare $(ARGS)

test: $(STAMP)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache
